module edms

go 1.26.8
