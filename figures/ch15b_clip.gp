# Chapter 15b: gradient clipping (data: examples/ch15b_practice.c, full run,
# out/ch15b_clip.dat: index 0 SGD lr 1 not clipped, 1 lr 1 clipped to norm 1, 2 lr 0.1
# not clipped; columns step loss mean_of_last_25 gradient_norm, the norm before clipping).
# Left: the batch loss of the first 60 steps; middle: the gradient norm of those steps,
# with the clipping threshold; right: the loss over the two epochs (mean of the last 25).
set terminal pngcairo size 1350,500 font ",11"
set output "figures/ch15b_clip.png"
set multiplot layout 1,3 title "SGD with momentum 0.9 on MNIST (MLP 784-256-10), the same initial weights and batches: clipping the gradient's norm to 1"
array C[3] = ["#d62728", "#1f4e9c", "#000000"]
array DT[3] = [1, 2, 4]
array PT[3] = [7, 5, 9]
array T[3] = ["lr 1, not clipped", "lr 1, clipped to norm 1", "lr 0.1, not clipped"]
set grid
set key top right box opaque font ",10" samplen 2.5
set xlabel "step"
set xrange [0:60]
set title "batch loss, the first 60 steps"
set ylabel "cross-entropy"
set yrange [0:7]
plot for [i=1:3] "out/ch15b_clip.dat" index (i-1) using 1:2 with linespoints lw 2 dt DT[i] pt PT[i] ps 0.6 \
     lc rgb C[i] title T[i]
set title "gradient norm before clipping, the first 60 steps"
set ylabel "||g||"
set yrange [0:7]
plot for [i=1:3] "out/ch15b_clip.dat" index (i-1) using 1:4 with linespoints lw 2 dt DT[i] pt PT[i] ps 0.6 \
     lc rgb C[i] title T[i], \
     1 with lines lw 3 dt 3 lc rgb "#8c8c8c" title "the threshold, 1"
set title "training loss, mean of the last 25 batches"
set xlabel "epoch (391 steps each)"
set xrange [0:2]
set xtics 0,0.5,2
set logscale y
set yrange [0.05:5]
set format y "%g"
set ylabel "cross-entropy (log scale)"
set key bottom left
plot for [i=1:3] "out/ch15b_clip.dat" index (i-1) using ($1/391.0):3 with lines lw 2 dt DT[i] lc rgb C[i] title T[i]
unset multiplot
