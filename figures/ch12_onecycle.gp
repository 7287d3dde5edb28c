# Chapter 12: one-cycle (lr and momentum) and ReduceLROnPlateau (data: examples/ch12_schedules.c)
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch12_onecycle.png"
set multiplot layout 1,2 title "One-cycle and reduce-on-plateau (optimfs.h chapter 12)"
set xrange [0:99]
set grid lc rgb "#dddddd"
set key font ",9" samplen 2 box opaque
set lmargin 9
set rmargin 9
f = "out/ch12_schedules.dat"

set title "one-cycle: max_lr 0.1, 100 steps" noenhanced
set xlabel "optimizer step k"
set ylabel "learning rate" offset 1,0
set y2label "momentum (or Adam's beta1)" offset -1,0
set yrange [0:0.13]
set ytics 0, 0.02, 0.1 nomirror
set y2range [0.80:0.96]
set y2tics 0.85, 0.02, 0.95
set key top center
plot f using 1:19 with lines lw 2 lc rgb "#1f77b4" title "lr, two phases, cos", \
     "" using 1:20 with lines lw 2 lc rgb "#2ca02c" title "lr, three phases, linear", \
     "" using 1:32 axes x1y2 with lines lw 2 dt 2 lc rgb "#d62728" title "momentum (two phases, cos)"

set title "reduce-on-plateau: patience 5, factor 0.5, cooldown 3"
set xlabel "epoch"
set ylabel "learning rate after the epoch"
set y2label "validation loss"
set yrange [0:0.105]
set ytics 0, 0.02, 0.1 nomirror
set y2range [0.25:1.05]
set y2tics 0.3, 0.1, 1.0
set key at graph 0.97, graph 0.44 right top
plot f using 1:34 with steps lw 2 lc rgb "#1f77b4" title "lr (min_lr 0.005)" noenhanced, \
     "" using 1:33 axes x1y2 with linespoints pt 7 ps 0.4 lw 1 lc rgb "#7f7f7f" title "loss (simulated)"
unset multiplot
