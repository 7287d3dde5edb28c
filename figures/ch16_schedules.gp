# Chapter 16: what the schedule does, for SGD with momentum and for AdamW (data: examples/ch16_sweep.c, full run)
# Blocks of out/ch16_curves.dat: 4 i + s for optimizer i (sgd 0, adamw 5) and schedule s
# (constant 0, step 1, cosine 2, warmup_cosine 3).
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch16_schedules.png"
set multiplot layout 1,2 title "The four schedules: test loss (solid) and training loss (dashed) per epoch"
set xlabel "epoch"
set xrange [0.8:5.2]
set xtics 1,1,5
set grid
set logscale y
set format y "%g"
set ytics ("0.01" 0.01, "0.02" 0.02, "0.05" 0.05, "0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "1" 1)
set yrange [0.015:0.5]
colors = "#1f77b4 #ff7f0e #2ca02c #d62728"
names = "constant step cosine warmup+cosine"
set key bottom left font ",9" box opaque
do for [o in "0 5"] {
    set title (o eq "0" ? "SGD, momentum 0.9, lr 0.2" : "AdamW, lr 0.004, weight decay 0.05")
    plot for [s=0:3] "out/ch16_curves.dat" index (4*o+s) using ($1 > 0 ? $1 : NaN):4 with linespoints \
             pt 7 ps 0.6 lw 2 lc rgb word(colors, s+1) title word(names, s+1), \
         for [s=0:3] "" index (4*o+s) using ($1 > 0 ? $1 : NaN):2 with linespoints \
             pt 6 ps 0.6 lw 1.5 dt 2 lc rgb word(colors, s+1) notitle
    unset key
}
unset multiplot
