# Chapter 11b: a sharp and a flat minimum, and the loss SAM descends (data: examples/ch11b_wrappers.c)
set terminal pngcairo size 1100,480 font ",11"
set output "figures/ch11b_sam.png"
set multiplot layout 1,2
set title "f(w) and SAM's loss f(w + e), rho 0.25"
set xlabel "w"
set ylabel "loss"
set grid
set xrange [-2.5:1.5]
set yrange [-1.3:0.35]
set key top left box opaque
set arrow 1 from 0.47, -1.12 to 0.63, -0.8 lw 1 lc rgb "#555555"
set label 1 "here w + e falls into the sharp well" at 0.45, -1.17 right
plot "out/ch11b_sam_curve.dat" using 1:2 with lines lw 2.5 lc rgb "#08519c" title "f(w): sharp well at 1, flat one at -1", \
     "" using 1:3 with lines lw 2 dt 2 lc rgb "#e6550d" title "f(w + e): where SAM takes its gradient"
unset arrow 1
unset label 1
set title "How much the loss rises when w moves by up to r"
set xlabel "radius r"
set ylabel "max_{|e| <= r} f(w + e) - f(w)"
set xrange [0:0.5]
set yrange [0:1.25]
set key at graph 0.97, graph 0.45 right box opaque
plot "out/ch11b_sam_radius.dat" using 1:2 with linespoints lw 2.5 pt 5 ps 0.6 pi 5 lc rgb "#b2182b" title "at the sharp minimum (w = 1)", \
     "" using 1:3 with linespoints lw 2.5 pt 7 ps 0.6 pi 5 dt 2 lc rgb "#2166ac" title "at the flat minimum (w = -1)"
unset multiplot
