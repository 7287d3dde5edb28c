# Chapter 16: steps and training seconds to 98.0 % validation accuracy of every row with every
# schedule (data: examples/ch16_sweep.c, full run; out/ch16_results.dat, columns 10 and 11: the
# steps and the seconds, NaN for a run that never reached it, drawn at the right edge as "never").
# The seconds are wall-clock time on a shared machine, one thread per run.
last = 23
set terminal pngcairo size 1400,1040 font ",11"
set output "figures/ch16_time.png"
set multiplot layout 1,2 title "Time to 98.0% validation accuracy (evaluated every quarter epoch, 98 steps; the run is 1955 steps)"
set yrange [last+0.5:-0.5]
set grid xtics
set ytics scale 0
set key bottom left title "schedule" box opaque font ",10"
colors = "#000000 #e69f00 #0072b2 #d55e00 #009e73"
names = "constant warmup+constant cosine warmup+cosine step"
# left: steps; a small vertical offset per schedule, so that points of one row do not hide each other
set title "steps"
set xlabel "steps (50,000 training images, batch 128: 391 steps per epoch)"
set xrange [0:2330]
set xtics 0,391,1955
set xtics add ("never" 2220)
set arrow 1 from 2100, graph 0 to 2100, graph 1 nohead dt 2 lc rgb "#777777"
set lmargin 22
set rmargin 1
never = 2220
plot for [s=0:4] "out/ch16_results.dat" using ($2 == s ? (strcol(10) eq "NaN" ? never : $10) : NaN):($1 + 0.15*(s - 2)) \
         with points pt (s == 0 ? 5 : s == 1 ? 4 : s == 2 ? 7 : s == 3 ? 6 : 9) ps 1.3 lc rgb word(colors, s+1) title word(names, s+1), \
     "" using (NaN):1:ytic(sprintf("%s (%g)", stringcolumn(3), $5)) with points notitle
# right: training seconds until then (log scale), the same rows
unset arrow 1
set title "training seconds (wall clock, one thread, a shared machine; log scale)"
set xlabel "seconds of training until the step above (evaluations not counted)"
set logscale x
set xrange [1:40]
set xtics ("1" 1, "2" 2, "3" 3, "5" 5, "10" 10, "20" 20, "never" 30)
set arrow 2 from 25, graph 0 to 25, graph 1 nohead dt 2 lc rgb "#777777"
set format y ""
set lmargin 3
set rmargin 3
never_s = 30
plot for [s=0:4] "out/ch16_results.dat" using ($2 == s ? (strcol(11) eq "NaN" ? never_s : $11) : NaN):($1 + 0.15*(s - 2)) \
         with points pt (s == 0 ? 5 : s == 1 ? 4 : s == 2 ? 7 : s == 3 ? 6 : 9) ps 1.3 lc rgb word(colors, s+1) title word(names, s+1), \
     "" using (NaN):1:ytic("") with points notitle
unset multiplot
