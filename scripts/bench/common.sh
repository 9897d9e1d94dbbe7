# Sourced by the scripts beside it (compare.sh, anchors.sh), from their folder: what both need.
# need_packages PACKAGE...: installs with apt-get those Debian packages that are not installed (root or sudo, and a
#   network, the first time).
# unpack_fashion_mnist DIR: the four IDX files of the Debian package dataset-fashion-mnist, unpacked into DIR unless
#   they are there.
# field KEY: the number after KEY= or "KEY": in the input's last line that has it (a whole key, not a suffix), else nan.
# med: the median of the numbers on the input, one a line (the lower middle one of an even count).
need_packages() {
  local need=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
  [ ${#need[@]} -eq 0 ] && return
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

unpack_fashion_mnist() {
  local src=/usr/share/datasets/fashion-mnist f
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -s "$1/$f" ] || gunzip -c "$src/$f.gz" > "$1/$f"
  done
}

field() { python3 -c 'import re,sys
v=[m.group(1) for l in sys.stdin for m in [re.search(r"(?:^|[\s{,])\"?"+sys.argv[1]+r"\"?\s*[=:]\s*([0-9.eE+-]+)",l)] if m]
print(v[-1] if v else "nan")' "$1"; }

med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
