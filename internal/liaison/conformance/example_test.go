package conformance_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"edms/internal/liaison/conformance"
)

// A kit is prepared once, then run against a target node whose operator registered
// the kit as its hub (the steps Init's caller prints) and copied its CA bundle to
// DIR/target-ca.pem.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "kit-")
	defer os.RemoveAll(dir)
	if err := conformance.Init(conformance.InitOptions{Dir: dir, TargetOrgan: "000.00.00.H99", CRLAddr: "127.0.0.1:7480"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(conformance.OperatorSteps(dir, "127.0.0.1:7443"))
	results, failed, err := conformance.Run(context.Background(), conformance.Config{
		Dir: dir, Target: "https://127.0.0.1:8443", Listen: "127.0.0.1:7443", Wait: time.Minute,
	})
	if err != nil {
		fmt.Println(err) // here: the target's CA bundle was not copied
		return
	}
	conformance.WriteTable(os.Stdout, results)
	if failed {
		os.Exit(1)
	}
}

func ExampleWriteTable() {
	conformance.WriteTable(os.Stdout, []conformance.Result{
		{ID: "2.1", Outcome: conformance.Pass, Detail: "biên nhận r-1, SHA-256 khớp"},
		{ID: "2.2", Outcome: conformance.Skip, Detail: "cần hub trung gian và nút S phía sau"},
	})
	// Output:
	// ID   KẾT QUẢ  CHI TIẾT
	// 2.1  PASS     biên nhận r-1, SHA-256 khớp
	// 2.2  SKIP     cần hub trung gian và nút S phía sau
	// 1 PASS, 0 FAIL, 1 SKIP
}
