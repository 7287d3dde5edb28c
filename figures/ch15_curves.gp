# Chapter 15: training curves of the MLP on MNIST (data: examples/ch15_mnist.c, full run)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch15_curves.png"
set multiplot layout 1,2 title "MLP 784-256-10 on MNIST: AdamW, 1 epoch of linear warmup, then cosine"
set xlabel "epoch"
set xrange [0.5:*]
set grid
set key top right box opaque font ",10"
set title "cross-entropy loss"
set logscale y
set format y "%g"
plot "out/ch15_curves.dat" using 1:2 with linespoints pt 7 ps 0.7 lw 2 lc rgb "#1f77b4" title "training (epoch mean)", \
     "" using 1:4 with linespoints pt 5 ps 0.7 lw 2 lc rgb "#d62728" title "test"
unset logscale y
set title "accuracy (%) and learning rate"
set key bottom right box opaque font ",10"
set yrange [95:100.2]
set ytics nomirror
set y2tics
set y2range [0:*]
set format y2 "%.1f"
set y2label "learning rate (x 10^{-3})"
plot "out/ch15_curves.dat" using 1:(100*$3) with linespoints pt 7 ps 0.7 lw 2 lc rgb "#1f77b4" title "training", \
     "" using 1:(100*$5) with linespoints pt 5 ps 0.7 lw 2 lc rgb "#d62728" title "test", \
     "" using 1:(1000*$6) axes x1y2 with lines dt 2 lw 1.5 lc rgb "#555555" title "lr (right axis)"
unset multiplot
