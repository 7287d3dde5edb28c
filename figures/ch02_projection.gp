# Chapter 2: projected gradient descent on x1^2 + 2 x2^2 inside the ball |x - (2, 1)| <= 1.
set terminal pngcairo size 900,600 font ",11"
set output "figures/ch02_projection.png"
set title "Projected gradient descent: step, then project back onto the ball"
set xlabel "x1"
set ylabel "x2"
set size ratio -1
set xrange [-0.5:3.5]
set yrange [-0.5:2.5]
set grid
set key below
set view map
unset surface
set isosamples 120, 120
set contour base
set cntrparam levels discrete 0.5, 1, 3, 5, 8, 12
set table $cont
splot [-0.5:3.5][-0.5:2.5] x**2 + 2*y**2
unset table
set cntrparam levels discrete 1.757931
set table $best
splot [-0.5:3.5][-0.5:2.5] x**2 + 2*y**2
unset table
unset contour
plot $cont with lines lc rgb "#bbbbbb" title "contours of f", \
     $best with lines dt 2 lw 1.5 lc rgb "#555555" title "f = 1.758 touches the ball", \
     "out/ch02_ball.dat" using 1:2 with lines lw 2 lc rgb "#2ca02c" title "ball |x − (2, 1)| ≤ 1", \
     "out/ch02_pgd.dat" using 2:3 with linespoints pt 7 ps 0.8 lw 1.5 lc rgb "#d62728" title "projected GD, η = 0.1"
