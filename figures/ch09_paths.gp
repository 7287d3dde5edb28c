# Chapter 9: RMSProp on f = 0.1 x1^2 + 2 x2^2 (data: examples/ch09_rmsprop.c)
set terminal pngcairo size 1500,540 font ",11"
set output "figures/ch09_paths.png"
set contour base
set cntrparam levels discrete 0.01, 0.04, 0.25, 0.5, 1, 2, 4, 8, 16
unset surface
set view map
set table $contours
splot "out/ch09_grid.dat" using 1:2:3 with lines notitle
unset table
set isosamples 150, 150
set cntrparam levels discrete 0.005, 0.02, 0.045, 0.084
set table $zoom
splot [-0.3:0.3][-0.3:0.3] 0.1*x**2 + 2*y**2
unset table
unset contour
set multiplot layout 1,3 title "RMSProp on f(x) = 0.1 x_1² + 2 x_2² from (−5, −2), lr 0.4"
# (a) the first 20 steps
set title "20 steps: γ = 0.9 (D2L) and PyTorch's γ = 0.99"
set xlabel "x_1"
set ylabel "x_2"
set size ratio -1
set xrange [-5.5:1.5]
set yrange [-3:3]
set grid
set key bottom right box opaque font ",9"
set label 1 "γ = 0.99: first step 4 = lr/√(1−γ)\nin each coordinate" at -4.9, 2.55 font ",9"
plot $contours using 1:2 with lines lc rgb "#cccccc" notitle, \
     "out/ch09_paths.dat" index 0 using 2:3 with linespoints lw 2 pt 7 ps 0.6 lc rgb "#1f77b4" title "γ = 0.9, ε inside the root (D2L)", \
     "" index 2 using 2:3 with linespoints lw 2 pt 4 ps 0.7 dt 2 lc rgb "#d62728" title "γ = 0.9, centered", \
     "" index 3 using 2:3 with linespoints lw 2 pt 9 ps 0.9 dt 4 lc rgb "#2ca02c" title "γ = 0.99 (PyTorch's default)"
unset label 1
# (b) f along the long run: it reaches 1e-22 and leaves
set title "γ = 0.9, 2001 steps: f reaches 10^{−22}, then rises"
set size noratio
set xlabel "step"
set ylabel "f(x)"
set logscale xy
set format y "10^{%L}"
set xrange [1:2001]
set yrange [1e-24:100]
set autoscale x
set xrange [1:2001]
unset key
set arrow 1 from 60, 2e-21 to 39, 2.5e-22 lc rgb "black"
set label 2 "step 37: f = 1.7·10^{−22}" at 62, 3e-21 font ",9"
set label 3 "the cycle: f = 0.084" at 150, 1 font ",9"
plot "out/ch09_paths.dat" index 4 using ($1 > 0 ? $1 : 1/0):4 with lines lw 2 lc rgb "#1f77b4" notitle
unset arrow 1; unset label 2; unset label 3
unset logscale xy
set format y "%g"
# (c) the end: a cycle between -lr/2 and lr/2
set title "steps 1900 to 2001: the cycle x_i = ±lr/2"
set xlabel "x_1"
set ylabel "x_2"
set size ratio -1
set xrange [-0.3:0.3]
set yrange [-0.3:0.3]
set key bottom right box opaque font ",9"
set object 1 rect from -0.2,-0.2 to 0.2,0.2 fs empty border lc rgb "#999999" dt 2
set label 4 "f = 0.084" at 0.205, 0.23 font ",9" tc rgb "#777777"
plot $zoom using 1:2 with lines lc rgb "#cccccc" notitle, \
     "out/ch09_paths.dat" index 4 every ::1900 using 2:3 with linespoints lw 1 pt 7 ps 1.0 lc rgb "#1f77b4" title "iterates", \
     "+" using (0):(0) every ::0::0 with points pt 3 ps 2 lc rgb "black" title "minimum"
unset multiplot
