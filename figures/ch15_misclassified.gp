# Chapter 15: test digits the MLP gets wrong (data: examples/ch15_mnist.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch15_misclassified.png"
set title "The first 24 misclassified MNIST test digits (label: true -> predicted)"
set xrange [-0.5:179.5]
set yrange [119.5:-0.5]
set size ratio -1
unset xtics
unset ytics
unset colorbox
unset key
set border 0
set palette gray negative
set cbrange [0:1]
plot "out/ch15_misclassified.dat" index 0 using 1:2:3 with image, \
     "" index 1 using 1:($2 + 0.5):(sprintf("%d -> %d", $3, $4)) with labels tc rgb "#d62728" font ",10" offset 0,0.3
