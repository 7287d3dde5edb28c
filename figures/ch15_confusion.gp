# Chapter 15: confusion matrix of the MLP on the 10,000 MNIST test digits (data: examples/ch15_mnist.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch15_confusion.png"
set title "Confusion matrix on the MNIST test set (counts; colour: log of the count)"
set xlabel "predicted digit"
set ylabel "true digit"
set xrange [-0.5:9.5]
set yrange [9.5:-0.5]
set xtics 0,1,9
set ytics 0,1,9
set size ratio -1
set logscale cb
set cbrange [0.8:1200]
set cblabel "count"
set palette defined (0 "#ffffff", 1 "#c6dbef", 2 "#6baed6", 3 "#2171b5", 4 "#08306b")
unset key
plot "out/ch15_confusion.dat" using 2:1:($3 > 0 ? $3 : 0.8) with image, \
     "" using 2:1:($3 > 100 ? sprintf("%d", $3) : "") with labels tc rgb "#ffffff" font ",10", \
     "" using 2:1:($3 > 0 && $3 <= 100 ? sprintf("%d", $3) : "") with labels tc rgb "#000000" font ",10"
