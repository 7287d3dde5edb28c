# Chapter 12: every closed-form schedule, 100 steps from eta0 = 0.1 (data: examples/ch12_schedules.c)
set terminal pngcairo size 1760,760 font ",11"
set output "figures/ch12_schedules.png"
set multiplot layout 2,4 title "Learning-rate schedules, lr(k) from eta0 = 0.1 (optimfs.h chapter 12)"
set xrange [0:99]
set yrange [0:0.17]
set ytics 0, 0.02, 0.1
set xlabel "optimizer step k" offset 0,0.5
set ylabel "learning rate" offset 1.5,0
set key top right font ",8" samplen 2 spacing 0.85 box opaque width -2
set grid lc rgb "#dddddd"
f = "out/ch12_schedules.dat"

set title "piecewise constant"
plot f using 1:2 with lines lw 2 lc rgb "#7f7f7f" title "constant", \
     "" using 1:3 with lines lw 2 lc rgb "#9467bd" title "constant factor 0.5 for 10", \
     "" using 1:4 with lines lw 2 lc rgb "#1f77b4" title "step 20, gamma 0.5", \
     "" using 1:5 with lines lw 2 lc rgb "#d62728" title "multistep 30, 80, gamma 0.1", \
     "" using 1:6 with lines lw 2 dt 2 lc rgb "#2ca02c" title "piecewise 1, .6, .3, .1"

set title "smooth decays"
plot f using 1:7 with lines lw 2 lc rgb "#1f77b4" title "exponential 0.97", \
     "" using 1:8 with lines lw 2 dt 2 lc rgb "#17becf" title "factor 0.95, floor 0.02 (D2L)", \
     "" using 1:9 with lines lw 2 lc rgb "#7f7f7f" title "linear 1 -> 0.1", \
     "" using 1:10 with lines lw 2 lc rgb "#d62728" title "polynomial, power 2", \
     "" using 1:11 with lines lw 2 lc rgb "#2ca02c" title "(0.1 k + 1)^{-1/2} (D2L)", \
     "" using 1:12 with lines lw 2 lc rgb "#ff7f0e" title "sqrt: (k + 1)^{-1/2} (D2L)"

set title "cosine"
plot f using 1:13 with lines lw 2 lc rgb "#1f77b4" title "cosine, t_{max} 100", \
     "" using 1:14 with lines lw 2 lc rgb "#d62728" title "t_{max} 40 (PyTorch: periodic)", \
     "" using 1:15 with lines lw 2 dt 2 lc rgb "#ff7f0e" title "t_{max} 40, hold at 0.01 (D2L)", \
     "" using 1:17 with lines lw 2 lc rgb "#2ca02c" title "warm restarts t_0 10, t_{mult} 2"

set title "a linear warmup first (10 steps; 5 before the step)"
plot f using 1:16 with lines lw 2 lc rgb "#1f77b4" title "warmup + cosine", \
     "" using 1:18 with lines lw 2 lc rgb "#d62728" title "warmup + linear decay", \
     "" using 1:21 with lines lw 2 lc rgb "#2ca02c" title "warmup (5, from 0.01) + step 30"

set title "cyclic (CyclicLR, 0.01 <-> 0.1)"
plot f using 1:22 with lines lw 2 lc rgb "#1f77b4" title "triangular, up 10, down 15", \
     "" using 1:23 with lines lw 2 lc rgb "#d62728" title "triangular2: heights halve", \
     "" using 1:24 with lines lw 2 dt 2 lc rgb "#2ca02c" title "exp\\_range, gamma 0.98"

set title "SWALR and your own function"
plot f using 1:25 with lines lw 2 lc rgb "#1f77b4" title "swalr: to 0.02 in 30 (cos)", \
     "" using 1:26 with lines lw 2 lc rgb "#d62728" title "lambda: 1 / (1 + 0.05 k)", \
     "" using 1:27 with lines lw 2 dt 2 lc rgb "#2ca02c" title "multiplicative 0.97 (= exponential)"

set title "warmup-stable-decay (warmup 10, cooldown 30)"
plot f using 1:28 with lines lw 2 lc rgb "#7f7f7f" title "linear", \
     "" using 1:29 with lines lw 2 lc rgb "#1f77b4" title "cosine", \
     "" using 1:30 with lines lw 2 lc rgb "#d62728" title "1-sqrt (default)", \
     "" using 1:31 with lines lw 2 lc rgb "#2ca02c" title "1-square", \
     "" using 1:16 with lines lw 1 dt 2 lc rgb "#000000" title "warmup + cosine, for comparison"
unset multiplot
