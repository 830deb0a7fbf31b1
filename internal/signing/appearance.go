package signing

import (
	"fmt"
	"image/color"
	"math"
	"strings"
	"sync"
	"time"

	"golang.org/x/image/font"
)

// VietnamZone is the time zone of every time shown in an appearance (UTC+07:00).
var VietnamZone = time.FixedZone("ICT", 7*3600)

// Pixel sizes of the generated images: enough for print at their usual size, and
// small, because pdfsign copies an appearance image pixel by pixel.
const (
	signatureWidthPx, signatureHeightPx = 540, 225
	sealPx                              = 480
)

// SignatureImage generates a stand-in for a person's handwritten signature: a blue
// pen flourish with the name written in italics across it, as a transparent PNG.
// It is an honest placeholder for the image the person uploads; SignPerson accepts
// such an uploaded PNG instead.
func SignatureImage(fullName string) ([]byte, error) {
	return generated.get("signature\x00"+fullName, func() ([]byte, error) { return drawSignature(fullName) })
}

func drawSignature(fullName string) ([]byte, error) {
	c := newCanvas(signatureWidthPx, signatureHeightPx)
	h := c.height()
	c.stroke(flourish(c.width(), h, fullName), h*0.024, inkBlue)
	if err := c.centredText(italic, h*0.32, lastName(fullName), c.width()/2, h*0.62, c.width()*0.9, inkBlue); err != nil {
		return nil, err
	}
	return c.png()
}

// flourish returns a pen path: a loop rising from the left, a long wave and an
// underline, varied by the name so two people's placeholders differ.
func flourish(w, h float64, seed string) [][2]float64 {
	var sum int
	for _, r := range seed {
		sum += int(r)
	}
	phase := float64(sum%17) / 17 * math.Pi
	var pts [][2]float64
	for i := 0; i <= 240; i++ {
		t := float64(i) / 240
		x := w*0.06 + t*w*0.88
		y := h*0.55 - math.Sin(t*math.Pi*5+phase)*h*0.22*(1-t*0.6) - t*h*0.1
		pts = append(pts, [2]float64{x, y})
	}
	for i := 0; i <= 60; i++ {
		t := float64(i) / 60
		pts = append(pts, [2]float64{w*0.94 - t*w*0.7, h*0.8 + math.Sin(t*math.Pi)*h*0.06})
	}
	return pts
}

func lastName(fullName string) string {
	fields := strings.Fields(fullName)
	if len(fields) == 0 {
		return "Ký"
	}
	return fields[len(fields)-1]
}

// SealImage generates a stand-in for an agency's red round seal: double ring, the
// agency name around the ring and a star in the middle, as a transparent PNG. It is
// an honest placeholder for the scanned seal image an agency registers.
func SealImage(agencyName string) ([]byte, error) {
	return generated.get("seal\x00"+agencyName, func() ([]byte, error) { return drawSeal(agencyName) })
}

func drawSeal(agencyName string) ([]byte, error) {
	const size = sealPx
	c := newCanvas(size, size)
	cx, cy := float64(size)/2, float64(size)/2
	c.ring(cx, cy, size*0.47, size*0.0175, sealRed)
	c.ring(cx, cy, size*0.31, size*0.01, sealRed)
	c.star(cx, cy, size*0.2, sealRed)
	if err := c.ringText(strings.ToUpper(agencyName), cx, cy, size*0.39, sealRed); err != nil {
		return nil, err
	}
	return c.png()
}

// ringText writes s clockwise around a circle of the given radius, centred on top,
// shrinking the letters until the text spans at most 330 degrees.
func (c *canvas) ringText(s string, cx, cy, radius float64, col color.Color) error {
	maxArc := radius * 2 * math.Pi * 330 / 360
	f, width, err := fittingFace(bold, radius*0.3, s, maxArc)
	if err != nil {
		return err
	}
	defer f.Close()
	pos := -width / 2
	for _, r := range s {
		adv := measure(f, string(r))
		angle := (pos + adv/2) / radius
		x, y := cx+radius*math.Sin(angle), cy-radius*math.Cos(angle)
		c.rotatedGlyph(f, string(r), x, y, angle, col)
		pos += adv
	}
	return nil
}

// PersonBlock is the appearance of a competent person's signature: the position
// on top, the signature image centred in the middle, the full name under it and the
// signing time in small type at the bottom (Nghị định 30, Phụ lục I).
type PersonBlock struct {
	Position  string // e.g. "CHỦ TỊCH" or "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
	FullName  string
	Signature []byte // PNG of the handwritten signature; nil: SignatureImage(FullName)
	// Printed: the page already prints the position and the name around the block
	// (an uploaded document's own signer block); the appearance draws the signature
	// and the signing time only.
	Printed bool
}

// signatureArea is the part of a person block, in fractions of its height measured
// from the bottom, that holds the signature image, at most 80% of the block wide
// and of the generated image's aspect ratio; the seal is placed against it.
const (
	signatureAreaBottom = 0.30
	signatureAreaTop    = 0.74
	signatureAspect     = float64(signatureWidthPx) / signatureHeightPx
)

// image composes the block as a PNG of wPt × hPt points.
func (p PersonBlock) image(wPt, hPt float64, at time.Time) ([]byte, error) {
	sig := p.Signature
	if sig == nil {
		var err error
		if sig, err = SignatureImage(p.FullName); err != nil {
			return nil, err
		}
	}
	sigImg, err := decodePNG(sig)
	if err != nil {
		return nil, fmt.Errorf("signing: signature image is not a PNG: %w", err)
	}
	c := newCanvas(int(wPt*pxPerPt), int(hPt*pxPerPt))
	w, h := c.width(), c.height()
	lines := strings.Split(p.Position, "\n")
	if p.Printed {
		lines = nil
	}
	line := h * 0.11
	for i, l := range lines {
		if err := c.centredText(bold, line*0.85, l, w/2, line*float64(i+1), w*0.98, textInk); err != nil {
			return nil, err
		}
	}
	area := signatureImageRect(Rect{0, 0, w, h})
	c.drawImageFit(sigImg, area.LLX, h-area.URY, area.Width(), area.Height())
	if !p.Printed {
		if err := c.centredText(bold, line*0.9, p.FullName, w/2, h*0.84, w*0.98, textInk); err != nil {
			return nil, err
		}
	}
	stampLine := "Ký số: " + at.In(VietnamZone).Format(time.RFC3339)
	if err := c.centredText(regular, line*0.6, stampLine, w/2, h*0.96, w*0.98, inkBlue); err != nil {
		return nil, err
	}
	return c.rawPNG()
}

// signatureImageRect is where personImage put the signature image inside a block.
func signatureImageRect(block Rect) Rect {
	h := block.Height() * (signatureAreaTop - signatureAreaBottom)
	w := min(block.Width()*0.8, h*signatureAspect)
	cx := (block.LLX + block.URX) / 2
	bottom := block.LLY + block.Height()*signatureAreaBottom
	return Rect{cx - w/2, bottom, cx + w/2, bottom + h}
}

// textBlockImage renders lines of 10 pt black text, right-aligned, as a PNG of
// wPt × hPt points: the no-image agency signature of attachments and copies.
func textBlockImage(lines []string, wPt, hPt float64) ([]byte, error) {
	c := newCanvas(int(wPt*pxPerPt), int(hPt*pxPerPt))
	size := 10 * pxPerPt
	for i, l := range lines {
		f, w, err := fittingFace(regular, size, l, c.width())
		if err != nil {
			return nil, err
		}
		c.text(f, l, c.width()-w, size*1.2*float64(i)+size, textInk)
		f.Close()
	}
	return c.rawPNG()
}

func measure(f font.Face, s string) float64 {
	return float64(font.MeasureString(f, s)) / 64
}

// generated keeps the placeholder images already drawn: the same person and agency
// sign again and again, and drawing costs tens of milliseconds.
var generated = imageCache{images: map[string][]byte{}}

type imageCache struct {
	mu     sync.Mutex
	images map[string][]byte
}

// get returns the cached image for key, drawing it on a miss. The cache is emptied
// when it holds 256 images, which bounds its memory.
func (c *imageCache) get(key string, draw func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	img, ok := c.images[key]
	c.mu.Unlock()
	if ok {
		return img, nil
	}
	img, err := draw()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.images) >= 256 {
		clear(c.images)
	}
	c.images[key] = img
	return img, nil
}
