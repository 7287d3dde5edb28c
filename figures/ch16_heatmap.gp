# Chapter 16: test accuracy of every row with every schedule (data: examples/ch16_sweep.c, full run)
# out/ch16_results.dat: row sched optimizer schedule lr val_acc test_acc ... (one line per run;
# the Schedule-Free rows have no decaying schedules: their cells stay empty, marked "not run").
# The rows: 0-15 sgd to adopt, 16 sfadamw, 17 sfsgd, 18 adamw-512-256, 19 muon-512-256,
# 20 adafactor, 21 la-adamw, 22 sam-sgd, 23 asam-sgd; lines separate the groups.
last = 23
set terminal pngcairo size 1000,1040 font ",11"
set output "figures/ch16_heatmap.png"
set title "MNIST test accuracy (%) after 5 epochs, one learning rate per row (784-256-10 unless named)\nhatched: not run (the Schedule-Free rows run without a decaying schedule)"
set xlabel "learning-rate schedule"
set xrange [-0.5:4.5]
set yrange [last+0.5:-0.5]
set tics scale 0
set xtics ("constant" 0, "warmup +\nconstant" 1, "cosine" 2, "warmup +\ncosine" 3, "step" 4)
set cblabel "test accuracy (%)"
set cbrange [97.0:98.7]   # lower accuracies (Rprop, Adagrad with step) show as the lightest cells
set palette defined (0 "#ffffff", 1 "#c6dbef", 2 "#6baed6", 3 "#2171b5", 4 "#08306b")
set style fill solid 1.0 noborder
unset key
set lmargin 25
set object 1 rect from -0.5,last+0.5 to 4.5,-0.5 behind fc rgb "#999999" fs pattern 4
# after adopt (15), the Schedule-Free pair (17) and the deeper network (19)
do for [b in "15.5 17.5 19.5"] { set arrow from -0.5,b+0 to 4.5,b+0 nohead front lw 2 lc rgb "#000000" }
# column 7: the test accuracy (a fraction; NaN: diverged); white text on the dark cells
plot "out/ch16_results.dat" using 2:1:(0.5):(0.5):(100*$7 < 97 ? 97 : 100*$7) with boxxyerror fc palette, \
     "" using 2:1:(100*$7 >= 98.2 ? sprintf("%.2f", 100*$7) : "") with labels tc rgb "#ffffff" font ",11", \
     "" using 2:1:(100*$7 < 98.2 ? sprintf("%.2f", 100*$7) : "") with labels tc rgb "#000000" font ",11", \
     "" using 2:1:ytic(sprintf("%s (%g)", stringcolumn(3), $5)) with points ps 0
