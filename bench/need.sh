# Sourced by the bench scripts: installs the Debian packages named that are
# missing (apt-get update once first), as root or through sudo.
#   need_packages PACKAGE...
need_packages() {
  [ $# -gt 0 ] || return 0
  local run=()
  [ "$(id -u)" -eq 0 ] || run=(sudo)
  "${run[@]}" apt-get update -qq
  "${run[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
