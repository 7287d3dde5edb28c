# Chapter 7: the rate of heavy-ball momentum over (learning rate, beta), as Distill's
# "Why Momentum Really Works" draws it (data: examples/ch07_momentum.c, the largest
# |root| of z^2 - (1 + beta - lr lambda) z + beta)
set terminal pngcairo size 1300,640 font ",11"
set output "figures/ch07_ratemap.png"
set palette defined (0 "#440154", 0.25 "#3b528b", 0.5 "#21918c", 0.75 "#5ec962", 1 "#fde725")
set cbrange [0:1]
set cblabel "rate (white: diverges)"
set multiplot layout 1,2 title "Momentum v ← βv + g, x ← x − ηv: the factor per step by which the distance to the minimum shrinks"
# contour lines of the rate, from the same data
set contour base
unset surface
set view map
set cntrparam levels discrete 0.5, 0.7, 0.9
set table $c0
splot "out/ch07_ratemap.dat" index 0 using 1:2:3 with lines notitle
unset table
set table $c1
splot "out/ch07_ratemap.dat" index 1 using 1:2:3 with lines notitle
unset table
unset contour
set tics out
# left: one direction of curvature lambda, against h = eta lambda
set title "one direction of curvature λ"
set xlabel "η λ"
set ylabel "β"
set xrange [0:4]
set yrange [0:1]
set key off
unset colorbox
set label 1 "complex roots: rate √β" at 1.6, 0.62 center front tc rgb "white"
set label 2 "real\nroots" at 0.16, 0.1 center front tc rgb "white" font ",9"
set label 3 "diverges:\nη λ > 2 + 2β" at 3.55, 0.3 center front
set label 4 "critical damping: β = (1 − √(ηλ))²" at 1.05, 0.38 center front tc rgb "white"
set arrow 4 from 0.6, 0.36 to 0.27, 0.245 front lc rgb "white"
set label 5 "rate 0.9" at 3.0, 0.83 front tc rgb "#333333" font ",9"
set label 6 "0.7" at 2.1, 0.51 front tc rgb "white" font ",9"
set label 7 "0.5" at 1.7, 0.27 front tc rgb "white" font ",9"
plot "out/ch07_ratemap.dat" index 0 using 1:2:($3 < 1 ? $3 : 1/0) with image, \
     $c0 using 1:2 with lines lc rgb "#dddddd" lw 1 notitle, \
     [0:4] (1 - sqrt(x))**2 with lines lw 2 dt 2 lc rgb "white" notitle
unset label; unset arrow
# right: f = 0.1 x1^2 + 2 x2^2, the slower of its two directions
set title "f = 0.1x_1² + 2x_2² (λ = 0.2 and 4): the slower direction"
set xlabel "learning rate η"
set xrange [0:1]
set colorbox
set label 1 "diverges" at 0.9, 0.25 center front
set label 2 "GD's best: 0.905" at 0.455, 0.04 right front font ",10"
set label 3 "D2L's η 0.6, β 0.5: 0.707" at 0.6, 0.535 center front font ",10"
set label 4 "critical β at η 0.6: 0.654" at 0.575, 0.43 right front font ",10"
set label 5 "the best: 0.635" at 0.69, 0.37 left front font ",10"
plot "out/ch07_ratemap.dat" index 1 using 1:2:($3 < 1 ? $3 : 1/0) with image notitle, \
     $c1 using 1:2 with lines lc rgb "#dddddd" lw 1 notitle, \
     "+" using (2/4.2):(0) every ::0::0 with points pt 7 ps 1.8 lc rgb "#ff7f0e" notitle, \
     "+" using (0.6):(0.5) every ::0::0 with points pt 5 ps 1.6 lc rgb "#e41a1c" notitle, \
     "+" using (0.6):(0.427180) every ::0::0 with points pt 9 ps 1.8 lc rgb "#ffffff" notitle, \
     "+" using (0.667907):(0.402605) every ::0::0 with points pt 3 ps 2.2 lw 3 lc rgb "#000000" notitle
unset multiplot
