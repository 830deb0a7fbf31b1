package axis_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"time"

	"edms/internal/liaison"
	"edms/internal/liaison/axis"
	"edms/internal/liaison/wire"
)

// A provincial hub forwards a document to the national axis through an Uplink;
// the government's system pulls it. The axis here is a Fake on loopback.
func ExampleUplink() {
	fake := axis.NewFake(axis.FakeConfig{Systems: []axis.FakeSystem{
		{ID: "00.53.W00", Secret: "province-secret", Agencies: []axis.FakeAgency{{OrganID: "000.00.00.H53", Name: "UBND tỉnh Tây Ninh"}}},
		{ID: "000.00.00.G22", Secret: "vpcp-secret", Agencies: []axis.FakeAgency{{OrganID: "000.00.00.G22", Name: "Văn phòng Chính phủ"}}},
	}})
	server := httptest.NewServer(fake)
	defer server.Close()
	ctx := context.Background()

	province := axis.NewUplink("truc-quoc-gia", axis.NewClient(server.URL, "00.53.W00", "province-secret"))
	if _, err := province.Directory(ctx); err != nil {
		panic(err)
	}
	fmt.Println("serves VPCP:", province.Serves("000.00.00.G22"))

	var pkg bytes.Buffer
	spec := liaison.BuildSpec{Package: liaison.Package{Header: &liaison.MessageHeader{
		From:             liaison.Organization{OrganID: "000.00.00.H53", OrganName: "UBND tỉnh Tây Ninh"},
		To:               []liaison.Organization{{OrganID: "000.00.00.G22", OrganName: "Văn phòng Chính phủ"}},
		Code:             liaison.Code{Number: "7", Notation: "UBND-VP"},
		PromulgationDate: liaison.Date{Year: 2026, Month: time.November, Day: 30},
		DocumentType:     liaison.DocumentType{Type: 1, TypeName: "Công văn"},
		Subject:          "Báo cáo chuyển đổi số",
	}}}
	if err := spec.Build(&pkg, time.Now()); err != nil {
		panic(err)
	}
	_, err := province.Forward(ctx, wire.Forwarded{Body: bytes.NewReader(pkg.Bytes()), Size: int64(pkg.Len()),
		From: "000.00.00.H53", DocumentID: "000.00.00.H53,2026/11/30,7/UBND-VP", Recipients: []string{"000.00.00.G22"}, Kind: liaison.KindDocument})
	fmt.Println("forwarded:", err == nil)

	vpcp := axis.NewUplink("truc-quoc-gia", axis.NewClient(server.URL, "000.00.00.G22", "vpcp-secret"))
	n, err := vpcp.Pull(ctx, func(_ context.Context, body io.Reader, ref string) error {
		read, err := liaison.Read(body, liaison.Options{})
		if err != nil {
			return err
		}
		fmt.Println("received:", read.Header.DocumentID)
		return nil
	})
	fmt.Println("pulled:", n, err)
	// Output:
	// serves VPCP: true
	// forwarded: true
	// received: 000.00.00.H53,2026/11/30,7/UBND-VP
	// pulled: 1 <nil>
}
