#!/usr/bin/env bash
# The runtime on aarch64 under qemu-user: a Debian bookworm arm64 root (Python 3.11), the aarch64
# wheels of ai-edge-litert and NumPy, then (1) the runtime's tests that need neither OpenCV nor
# TensorFlow and (2) every shipped model on the real inputs of `tflite_compat.py prepare`, compared
# with LiteRT on this machine. Needs Debian's qemu-user-static and debootstrap (root), the network
# once; ~3 min. Usage: benchmarks/arm64_check.sh VENV_PYTHON OUT_DIR
set -euo pipefail
PY=${1:-.venv/bin/python}
OUT=${2:-benchmarks/out}
ROOT=${ARM64_ROOT:-$HOME/.cache/posekit/arm64}
SITE=$ROOT.site
command -v qemu-aarch64-static >/dev/null && command -v debootstrap >/dev/null || {
  echo "needs qemu-user-static and debootstrap: apt-get install qemu-user-static debootstrap"; exit 2; }
if [ ! -x "$ROOT/usr/bin/python3.11" ]; then
  rm -rf "$ROOT"
  # The first stage only (no binfmt needed): it downloads the packages and unpacks the base;
  # Python's own packages are unpacked by hand.
  debootstrap --arch=arm64 --foreign --variant=minbase --include=python3-minimal,libpython3.11-stdlib bookworm "$ROOT"
  for d in "$ROOT"/var/cache/apt/archives/*.deb; do dpkg-deb -x "$d" "$ROOT"; done
fi
# What LiteRT's CPU probing reads, as an arm64 machine would show it (qemu finds these under the
# root before the host's: without them XNNPACK reads the host's x86 /proc/cpuinfo and crashes, or
# runs without its kernels).
mkdir -p "$ROOT/proc" "$ROOT/sys/devices/system/cpu"
printf 'processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x4\nCPU part\t: 0xd0b\nCPU revision\t: 1\n\n' > "$ROOT/proc/cpuinfo"
echo 0 > "$ROOT/sys/devices/system/cpu/possible"
echo 0 > "$ROOT/sys/devices/system/cpu/present"
if [ ! -d "$SITE/ai_edge_litert" ]; then
  # manylinux_2_27 finds ai-edge-litert 2.x (2_17/2_28 alone find only 1.x)
  "$PY" -m pip install -q --target "$SITE" --platform manylinux_2_27_aarch64 --platform manylinux_2_28_aarch64 \
    --platform manylinux2014_aarch64 --only-binary=:all: --python-version 3.11 --implementation cp \
    "ai-edge-litert==$("$PY" -c 'from importlib.metadata import version; print(version("ai-edge-litert"))')" \
    "numpy==$("$PY" -c 'import numpy; print(numpy.__version__)')" pytest
fi
# qemu 7.2's default "max" CPU gives wrong int8 results (SME emulation): a Cortex-A76.
run() { QEMU_CPU=cortex-a76 PYTHONPATH="$SITE:$PWD" qemu-aarch64-static -L "$ROOT" "$ROOT/usr/bin/python3.11" "$@"; }
run -c "import platform; print('python', platform.python_version(), platform.machine())"
run -m pytest -q -p no:cacheprovider tests/test_runtime.py tests/test_roi.py tests/test_smoothing.py \
  tests/test_keypoints.py tests/test_validation.py tests/test_pipeline.py
mkdir -p "$OUT"
[ -f "$OUT/compat_inputs.npz" ] || "$PY" benchmarks/tflite_compat.py prepare --out "$OUT/compat_inputs.npz"
"$PY" benchmarks/tflite_compat.py run --inputs "$OUT/compat_inputs.npz" --out "$OUT/compat_litert.npz" >/dev/null
run benchmarks/tflite_compat.py run --inputs "$OUT/compat_inputs.npz" --out "$OUT/compat_arm64.npz" >/dev/null
"$PY" benchmarks/tflite_compat.py compare "$OUT/compat_litert.npz" "$OUT/compat_arm64.npz" --out "$OUT/arm64.json"
