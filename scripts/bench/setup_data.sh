# Sourced by the scripts beside it (compare.sh, anchors.sh), from their folder.
# need_packages PACKAGE...: installs with apt-get those Debian packages that are not installed (root or sudo, and a
#   network, the first time).
# unpack_fashion_mnist DIR: the four IDX files of the Debian package dataset-fashion-mnist, unpacked into DIR unless
#   they are there.
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
