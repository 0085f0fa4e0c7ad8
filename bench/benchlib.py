"""What the bench scripts share: the release build, a served copy of the
shipped channel, free ports."""
import os, shutil, socket, subprocess, tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
# INFOTV_BIN: another build to measure (an older commit, for a same-run baseline).
BINARY = os.environ.get("INFOTV_BIN") or os.path.join(ROOT, "target/release/infotv")


def release_build():
    if not os.environ.get("INFOTV_BIN"):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)


def channel_copy():
    """A temporary folder holding a copy of channels/; returns (folder, channels)."""
    tmp = tempfile.mkdtemp()
    channels = os.path.join(tmp, "channels")
    shutil.copytree(os.path.join(ROOT, "channels"), channels)
    return tmp, channels


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
