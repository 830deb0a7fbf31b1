package signing

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"testing"

	"edms/internal/testenv"

	"github.com/go-pdf/fpdf"
)

// leaderBlock is where the test documents print the leader's signature block (A4,
// points from the bottom left), under the position "CHỦ TỊCH".
var leaderBlock = Rect{LLX: 330, LLY: 420, URX: 540, URY: 540}

// issueNumberRect and issueDateRect are the reserved areas for the number and the
// date of issue at the top of page 1.
var (
	issueNumberRect = Rect{LLX: 40, LLY: 725, URX: 220, URY: 745}
	issueDateRect   = Rect{LLX: 290, LLY: 725, URX: 550, URY: 745}
)

// makePDF generates an A4 administrative document with Vietnamese text. noiseBytes
// of incompressible image data make it as large as a benchmark needs.
func makePDF(t testing.TB, pages, noiseBytes int) []byte {
	t.Helper()
	p := fpdf.New("P", "pt", "A4", "")
	for _, style := range []struct{ style, file string }{{"", "DejaVuSerif.ttf"}, {"B", "DejaVuSerif-Bold.ttf"}} {
		path := testenv.LookFile(t, "/usr/share/fonts/truetype/dejavu/"+style.file, "install fonts-dejavu-core")
		ttf, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p.AddUTF8FontFromBytes("serif", style.style, ttf)
	}
	for i := 1; i <= pages; i++ {
		p.AddPage()
		if i == 1 {
			documentHeader(p)
		}
		p.SetFont("serif", "", 13)
		p.SetXY(60, 200)
		p.MultiCell(475, 18, "Căn cứ Luật Tổ chức chính quyền địa phương; xét đề nghị của Trưởng phòng Nội vụ, Ủy ban nhân dân huyện quyết định ban hành Quy chế văn thư, lưu trữ điện tử. Điều 1. Quyết định này có hiệu lực kể từ ngày ký.", "", "J", false)
	}
	p.SetFont("serif", "B", 12)
	title := "TM. ỦY BAN NHÂN DÂN"
	p.Text((leaderBlock.LLX+leaderBlock.URX-p.GetStringWidth(title))/2, 841.89-leaderBlock.URY-4, title)
	if noiseBytes > 0 {
		addNoiseImage(t, p, noiseBytes)
	}
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		t.Fatalf("fpdf: %v", err)
	}
	return buf.Bytes()
}

func documentHeader(p *fpdf.Fpdf) {
	p.SetFont("serif", "B", 11)
	p.Text(60, 72, "ỦY BAN NHÂN DÂN")
	p.Text(60, 86, "HUYỆN PHÚ LƯƠNG")
	p.Text(290, 72, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
	p.Text(330, 86, "Độc lập - Tự do - Hạnh phúc")
	p.SetFont("serif", "B", 14)
	p.Text(240, 140, "QUYẾT ĐỊNH")
}

// addNoiseImage appends a page with a random RGB picture of about n bytes.
func addNoiseImage(t testing.TB, p *fpdf.Fpdf, n int) {
	side := 1
	for side*side*3 < n {
		side++
	}
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), 0xff
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p.AddPage()
	p.RegisterImageOptionsReader("noise", fpdf.ImageOptions{ImageType: "PNG"}, &buf)
	p.ImageOptions("noise", 50, 50, 400, 400, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
}
