# Chapter 15b: the gap between training and validation (data: examples/ch15b_practice.c,
# full run, out/ch15b_gap.dat: epoch train_loss val_loss train_acc val_acc). AdamW at a
# constant 4e-3 on the first 1,000 training images only, 40 epochs of 8 steps; both sets
# evaluated after each epoch (the training set as a whole, after the epoch's steps).
set terminal pngcairo size 1100,460 font ",11"
set output "figures/ch15b_gap.png"
set multiplot layout 1,2 title "MLP 784-256-10 trained on 1,000 MNIST images (AdamW, lr 4e-3): the training set against 10,000 validation images"
stats "out/ch15b_gap.dat" using 3 nooutput
best = STATS_min
stats "out/ch15b_gap.dat" using ($3 <= best ? $1 : NaN) nooutput
set grid
set xlabel "epoch (8 steps each)"
set xrange [0:40]
set key at graph 0.98, graph 0.7 right top box opaque font ",10"
set title "loss"
set logscale y
set format y "%g"
set ylabel "cross-entropy (log scale)"
set yrange [0.001:1]
set arrow 1 from STATS_min, graph 0 to STATS_min, graph 1 nohead dt 3 lw 2 lc rgb "#555555"
set label 1 sprintf("lowest validation\nloss: epoch %d", STATS_min) at STATS_min + 1, 0.0025 left font ",10"
plot "out/ch15b_gap.dat" using 1:2 with linespoints pt 7 ps 0.6 lw 2 lc rgb "#1f4e9c" title "training (the 1,000 images)", \
     "" using 1:3 with linespoints pt 5 ps 0.6 lw 2 dt 2 lc rgb "#d62728" title "validation"
unset logscale y
unset arrow 1
unset label 1
set title "accuracy"
set ylabel "accuracy (%)"
set yrange [80:100.5]
set key bottom right
plot "out/ch15b_gap.dat" using 1:(100*$4) with linespoints pt 7 ps 0.6 lw 2 lc rgb "#1f4e9c" title "training (the 1,000 images)", \
     "" using 1:(100*$5) with linespoints pt 5 ps 0.6 lw 2 dt 2 lc rgb "#d62728" title "validation"
unset multiplot
