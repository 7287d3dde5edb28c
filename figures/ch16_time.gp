# Chapter 16: steps to 98.0 % validation accuracy of every row with every schedule
# (data: examples/ch16_sweep.c, full run; out/ch16_results.dat, column 10: the steps,
# NaN for a run that never reached it, drawn at the right edge as "never").
last = 23
set terminal pngcairo size 1000,1040 font ",11"
set output "figures/ch16_time.png"
set title "Steps to 98.0% validation accuracy (evaluated every quarter epoch, 98 steps; the run is 1955 steps)"
set xlabel "steps (training on 50,000 images, batch 128: 391 steps per epoch)"
set xrange [0:2330]
set yrange [last+0.5:-0.5]
set xtics 0,391,1955
set xtics add ("never" 2220)
set arrow 1 from 2100, graph 0 to 2100, graph 1 nohead dt 2 lc rgb "#777777"
set grid xtics
set ytics scale 0
set lmargin 25
set key outside right top title "schedule" box
never = 2220
colors = "#000000 #e69f00 #0072b2 #d55e00 #009e73"
names = "constant warmup+constant cosine warmup+cosine step"
# a small vertical offset per schedule, so that points of one row do not hide each other
plot for [s=0:4] "out/ch16_results.dat" using ($2 == s ? (strcol(10) eq "NaN" ? never : $10) : NaN):($1 + 0.15*(s - 2)) \
         with points pt (s == 0 ? 5 : s == 1 ? 4 : s == 2 ? 7 : s == 3 ? 6 : 9) ps 1.3 lc rgb word(colors, s+1) title word(names, s+1), \
     "" using (NaN):1:ytic(sprintf("%s (%g)", stringcolumn(3), $5)) with points notitle
