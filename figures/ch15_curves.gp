# Chapter 15: training curves of the MLP on MNIST (data: examples/ch15_mnist.c, full run:
# out/ch15_curves.dat per epoch, out/ch15_lr.dat the rate of every step)
set terminal pngcairo size 1350,480 font ",11"
set output "figures/ch15_curves.png"
set multiplot layout 1,3 title "MLP 784-256-10 on MNIST: AdamW, 1 epoch of linear warmup, then cosine to 0"
set xlabel "epoch"
set xrange [0.5:8.5]
set xtics 1,1,8
set grid
set key top right box opaque font ",10"
set title "cross-entropy loss"
set logscale y
set format y "%g"
plot "out/ch15_curves.dat" using 1:2 with linespoints pt 7 ps 0.7 lw 2 lc rgb "#1f77b4" title "training (epoch mean)", \
     "" using 1:4 with linespoints pt 5 ps 0.7 lw 2 dt 2 lc rgb "#d62728" title "test"
unset logscale y
set title "accuracy (%)"
set key bottom right box opaque font ",10"
set yrange [85:100.5]
plot "out/ch15_curves.dat" using 1:(100*$3) with linespoints pt 7 ps 0.7 lw 2 lc rgb "#1f77b4" title "training (during the epoch)", \
     "" using 1:(100*$5) with linespoints pt 5 ps 0.7 lw 2 dt 2 lc rgb "#d62728" title "test (after it)"
set title "learning rate at every step"
set xrange [0:8]
set xtics 0,1,8
set xlabel "epoch (469 steps each)"
set yrange [0:4.4]
set ylabel "learning rate (x 10^{-3})"
unset key
plot "out/ch15_lr.dat" using 2:(1000*$3) with lines lw 2 lc rgb "#555555"
unset multiplot
