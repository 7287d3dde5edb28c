# Chapter 5: SGD paths (seed 1) and the noise-free runs for four learning rates.
set terminal pngcairo size 1000,800 font ",11"
set output "figures/ch05_paths.png"
array T[4] = ["constant η = 0.1, 50 steps", "piecewise constant, 50 steps", "exponential 0.1·e^{−0.1t}, 1000 steps", "polynomial 0.1·(0.1t+1)^{−1/2}, 50 steps"]
set view map
unset surface
set isosamples 120, 120
set contour base
set cntrparam levels discrete 0.25, 1, 2.5, 5, 10, 17, 25, 35
set table $cont
splot [-5.5:1.5][-3:1.5] x**2 + 2*y**2
unset table
unset contour
set multiplot layout 2,2 title "SGD on x1² + 2 x2² with N(0, 1) gradient noise, from (−5, −2)"
set grid
set xrange [-5.5:1.5]
set yrange [-3:1.5]
set xlabel "x1"
set ylabel "x2"
set key bottom right font ",9" samplen 2 box opaque
set size ratio -1
do for [k=0:3] {
    set title T[k+1]
    plot $cont with lines lc rgb "#cccccc" notitle, \
         "out/ch05_paths.dat" index k using 4:5 with lines lw 2 lc rgb "#1f77b4" title "noise-free", \
         "out/ch05_paths.dat" index k using 2:3 with linespoints pt 7 ps 0.4 lw 1 lc rgb "#ff7f0e" title "seed 1"
}
unset multiplot
