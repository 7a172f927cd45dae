#!/usr/bin/env bash
# Makes the small sample images in this folder with Debian 12's ImageMagick (package
# imagemagick, 6.9.11 with libheif 1.15 for AVIF/HEIC, libwebp 1.2 for WebP). Run once by hand;
# the files are committed, and the tests only read them. Every picture is 37x23 pixels (so a
# width/height swap shows), the animated ones have 3 frames.
set -euo pipefail
cd "$(dirname "$0")"
im=/usr/bin/convert
base=(-size 37x23 plasma:fractal -seed 7)
"$im" -seed 7 "${base[@]}" -quality 85 sample.jpg
"$im" -seed 7 "${base[@]}" -interlace JPEG -quality 85 progressive.jpg
"$im" -seed 7 "${base[@]}" sample.png
"$im" -seed 7 "${base[@]}" sample.gif
"$im" -delay 10 -size 37x23 xc:red xc:green xc:blue -loop 0 animated.gif
"$im" -seed 7 "${base[@]}" -quality 80 sample.webp
"$im" -seed 7 "${base[@]}" -define webp:lossless=true lossless.webp
# ImageMagick 6.9.11 writes an animated WebP whose RIFF size misses its last frame: libwebp instead.
gif2webp -quiet animated.gif -o animated.webp
"$im" -seed 7 "${base[@]}" BMP3:sample.bmp
"$im" -seed 7 "${base[@]}" -compress none sample.tif
"$im" -seed 7 "${base[@]}" -define tiff:tile-geometry=16x16 tiled.tif
"$im" -seed 7 "${base[@]}" -define tiff:endian=msb -compress lzw -define tiff:rows-per-strip=2 bigendian.tif
"$im" -seed 7 "${base[@]}" -define icon:auto-resize=37 sample.ico
"$im" -seed 7 "${base[@]}" -quality 60 sample.avif
"$im" -seed 7 "${base[@]}" -quality 60 sample.heic
cat >sample.svg <<'SVG'
<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="37" height="23" viewBox="0 0 37 23">
  <!-- a red box on blue -->
  <rect width="37" height="23" fill="#0000ff"/>
  <rect x="4" y="4" width="29" height="15" fill="#ff0000"/>
</svg>
SVG
