# Chapter 16: loss per epoch of every optimizer with warmup + cosine (data: examples/ch16_sweep.c, full run)
# out/ch16_curves.dat holds one block per run, 4 per optimizer in the library's order (sgd adagrad
# rmsprop adadelta adam adamw adamax nadam radam lion yogi lamb adabelief rprop asgd), the
# schedules in the order constant, step, cosine, warmup_cosine: block 4 i + 3 is optimizer i with
# warmup + cosine. One panel per family; solid: test loss after each epoch, dashed: training loss
# (the mean over the epoch). Epoch 0 (the initial network, loss 2.45 for all) is left out.
groups = "0,14 13,9 1,2,3 4,5,6 7,8,12 10,11"
titles = "SGD;sign steps;Adagrad, RMSProp, Adadelta;Adam, AdamW, Adamax;NAdam, RAdam, AdaBelief;Yogi, LAMB"
colors = "#1f77b4 #d62728 #2ca02c"
member(g, j) = int(word(system("echo ".word(groups, g)." | tr , ' '"), j))
members(g) = words(system("echo ".word(groups, g)." | tr , ' '"))
title_of(g) = system("echo '".titles."' | cut -d';' -f".g)
set terminal pngcairo size 1350,820 font ",10"
set output "figures/ch16_loss.png"
set multiplot layout 2,3 title "MLP 784-256-10 on MNIST, 1 epoch of linear warmup then cosine to 0: test loss (solid) and training loss (dashed) per epoch"
set xlabel "epoch" offset 0,0.5
set ylabel "loss (log scale)" offset 1.5,0
set xrange [0.8:5.2]
set xtics 1,1,5
set grid
set logscale y
set yrange [0.01:1]
set format y "%g"
set ytics ("0.01" 0.01, "0.02" 0.02, "0.05" 0.05, "0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "1" 1)
set key top right font ",9" box opaque samplen 2
do for [g=1:6] {
    n = members(g)
    set title title_of(g).(g == 2 ? " (Rprop's losses run to 37: a wider axis)" : "")
    if (g == 2) { set yrange [0.01:100]; set ytics ("0.01" 0.01, "0.1" 0.1, "1" 1, "10" 10, "100" 100) } \
    else { set yrange [0.01:1]; set ytics ("0.01" 0.01, "0.02" 0.02, "0.05" 0.05, "0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "1" 1) }
    plot for [j=1:n] "out/ch16_curves.dat" index (4*member(g, j)+3) using ($1 > 0 ? $1 : NaN):4 with linespoints \
             pt 7 ps 0.6 lw 2 lc rgb word(colors, j) title columnheader(1), \
         for [j=1:n] "" index (4*member(g, j)+3) using ($1 > 0 ? $1 : NaN):2 with linespoints \
             pt 6 ps 0.6 lw 1.5 dt 2 lc rgb word(colors, j) notitle
}
unset multiplot
