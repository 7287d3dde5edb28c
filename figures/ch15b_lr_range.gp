# Chapter 15b: the learning-rate range test (data: examples/ch15b_practice.c, full run,
# out/ch15b_lr_range.dat: index 0 AdamW, index 1 SGD with momentum 0.9; columns step lr
# loss smoothed). One panel per optimizer: the batch loss of each step (thin) and its
# smoothed value (thick: an EMA with beta 0.98, bias-corrected) against the rate of that step; the dotted line marks the lowest
# smoothed loss, the dashed one a tenth of its rate; the triangle the rate chapter 15
# (AdamW, 4e-3) or chapter 16 (SGD, 0.2) trains with.
set terminal pngcairo size 1350,520 font ",11"
set output "figures/ch15b_lr_range.png"
set multiplot layout 1,2 title "Learning-rate range test, MLP 784-256-10 on MNIST: one fresh network per optimizer, the rate x 10 every 50 steps"
set logscale x
set format x "10^{%L}"
set xlabel "learning rate of the step (log scale)"
set ylabel "training loss (cross-entropy)"
set yrange [0:3]
set grid
set key at graph 0.02, graph 0.3 left top Left reverse box opaque font ",10" samplen 2
do for [i=0:1] {
    stats "out/ch15b_lr_range.dat" index i using 4 nooutput
    best = STATS_min
    stats "out/ch15b_lr_range.dat" index i using ($4 == best ? $2 : NaN) nooutput
    lrbest = STATS_min
    set title (i == 0 ? "AdamW" : "SGD, momentum 0.9")
    if (i == 0) { set xrange [1e-6:1] } else { set xrange [1e-4:100] }
    set arrow 1 from lrbest, graph 0 to lrbest, graph 1 nohead dt 3 lw 2 lc rgb "#000000" front
    set arrow 2 from lrbest/10, graph 0 to lrbest/10, graph 1 nohead dt 2 lw 2 lc rgb "#1f4e9c" front
    set label 1 sprintf("lowest smoothed loss\nat lr %.2g", lrbest) at lrbest*1.25, graph 0.93 left font ",10" front
    set label 2 sprintf("a tenth:\n%.2g", lrbest/10) at lrbest/10/1.25, graph 0.93 right font ",10" tc rgb "#1f4e9c" front
    u = i == 0 ? 0.004 : 0.2
    plot "out/ch15b_lr_range.dat" index i using 2:3 with lines lw 1 lc rgb "#aaaaaa" title "batch loss", \
         "" index i using 2:4 with lines lw 3 lc rgb "#d62728" title "smoothed", \
         "+" using (u):(0.12) with points pt 9 ps 2 lc rgb "#000000" title (i == 0 ? "chapter 15's rate" : "chapter 16's rate")
}
unset multiplot
