package signing

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/math/f64"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// pxPerPt is the resolution of composed appearance images: 3 pixels per PDF point
// (216 dpi), sharp on screen and in print.
const pxPerPt = 3.0

var (
	inkBlue = color.NRGBA{R: 0x10, G: 0x2a, B: 0x9c, A: 0xff}
	sealRed = color.NRGBA{R: 0xd0, G: 0x10, B: 0x1c, A: 0xff}
	textInk = color.NRGBA{A: 0xff}
)

// canvas is a transparent RGBA picture with the drawing helpers the appearances need.
type canvas struct {
	img *image.NRGBA
}

func newCanvas(wPx, hPx int) *canvas {
	return &canvas{img: image.NewNRGBA(image.Rect(0, 0, wPx, hPx))}
}

func (c *canvas) width() float64  { return float64(c.img.Bounds().Dx()) }
func (c *canvas) height() float64 { return float64(c.img.Bounds().Dy()) }

// png encodes the canvas for storage or for the caller (fast compression).
func (c *canvas) png() ([]byte, error) {
	return c.encode(png.BestSpeed)
}

// rawPNG encodes the canvas without compression, for a composite that the PDF
// writer decodes at once and compresses itself.
func (c *canvas) rawPNG() ([]byte, error) {
	return c.encode(png.NoCompression)
}

func (c *canvas) encode(level png.CompressionLevel) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: level}
	if err := enc.Encode(&buf, c.img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fill paints the shape the rasterizer holds in col.
func (c *canvas) fill(r *vector.Rasterizer, col color.Color) {
	r.Draw(c.img, c.img.Bounds(), image.NewUniform(col), image.Point{})
}

func (c *canvas) rasterizer() *vector.Rasterizer {
	return vector.NewRasterizer(c.img.Bounds().Dx(), c.img.Bounds().Dy())
}

// addDisc adds a filled circle (as a polygon) to r.
func addDisc(r *vector.Rasterizer, cx, cy, radius float64) {
	addCircle(r, cx, cy, radius, 1)
}

// addCircle adds a circle traced clockwise (dir 1) or anticlockwise (dir -1); an
// anticlockwise circle inside a clockwise one cuts a hole.
func addCircle(r *vector.Rasterizer, cx, cy, radius, dir float64) {
	const steps = 96
	for i := 0; i <= steps; i++ {
		a := dir * 2 * math.Pi * float64(i) / steps
		x, y := float32(cx+radius*math.Cos(a)), float32(cy+radius*math.Sin(a))
		if i == 0 {
			r.MoveTo(x, y)
		} else {
			r.LineTo(x, y)
		}
	}
	r.ClosePath()
}

// ring paints a circle outline of the given stroke width.
func (c *canvas) ring(cx, cy, radius, stroke float64, col color.Color) {
	r := c.rasterizer()
	addCircle(r, cx, cy, radius+stroke/2, 1)
	addCircle(r, cx, cy, radius-stroke/2, -1)
	c.fill(r, col)
}

// text draws s with its baseline starting at (x, y) and returns its advance in pixels.
func (c *canvas) text(f font.Face, s string, x, y float64, col color.Color) float64 {
	d := font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: f, Dot: fixed.P(int(x), int(y))}
	d.DrawString(s)
	return float64(d.Dot.X-fixed.I(int(x))) / 64
}

// centredText draws s centred on x, shrinking the face until it fits maxWidth.
func (c *canvas) centredText(style fontStyle, sizePx float64, s string, x, baseline, maxWidth float64, col color.Color) error {
	f, w, err := fittingFace(style, sizePx, s, maxWidth)
	if err != nil {
		return err
	}
	defer f.Close()
	c.text(f, s, x-w/2, baseline, col)
	return nil
}

// fittingFace returns the largest face not above sizePx in which s fits maxWidth.
func fittingFace(style fontStyle, sizePx float64, s string, maxWidth float64) (font.Face, float64, error) {
	for {
		f, err := face(style, sizePx)
		if err != nil {
			return nil, 0, err
		}
		w := float64(font.MeasureString(f, s)) / 64
		if w <= maxWidth || sizePx < 4 {
			return f, w, nil
		}
		f.Close()
		sizePx *= 0.92
	}
}

// drawImageFit draws src scaled to fit inside the rectangle, keeping its aspect
// ratio, centred.
func (c *canvas) drawImageFit(src image.Image, x, y, w, h float64) {
	b := src.Bounds()
	scale := math.Min(w/float64(b.Dx()), h/float64(b.Dy()))
	dw, dh := float64(b.Dx())*scale, float64(b.Dy())*scale
	x0, y0 := x+(w-dw)/2, y+(h-dh)/2
	dst := image.Rect(int(x0), int(y0), int(x0+dw), int(y0+dh))
	xdraw.ApproxBiLinear.Scale(c.img, dst, src, b, draw.Over, nil)
}

// rotatedGlyph draws the single rune s centred on (px, py), rotated clockwise by angle.
func (c *canvas) rotatedGlyph(f font.Face, s string, px, py, angle float64, col color.Color) {
	adv := float64(font.MeasureString(f, s)) / 64
	m := f.Metrics()
	gw, gh := int(math.Ceil(adv))+2, (m.Ascent+m.Descent).Ceil()+2
	glyph := newCanvas(gw, gh)
	glyph.text(f, s, 1, float64(m.Ascent.Ceil())+1, col)
	sin, cos := math.Sincos(angle)
	hw, hh := float64(gw)/2, float64(gh)/2
	aff := f64.Aff3{cos, -sin, px - cos*hw + sin*hh, sin, cos, py - sin*hw - cos*hh}
	xdraw.BiLinear.Transform(c.img, aff, glyph.img, glyph.img.Bounds(), draw.Over, nil)
}

// star paints a five-pointed star centred on (cx, cy), one point up.
func (c *canvas) star(cx, cy, radius float64, col color.Color) {
	r := c.rasterizer()
	for i := 0; i < 10; i++ {
		rad := radius
		if i%2 == 1 {
			rad = radius * 0.382
		}
		a := -math.Pi/2 + float64(i)*math.Pi/5
		x, y := float32(cx+rad*math.Cos(a)), float32(cy+rad*math.Sin(a))
		if i == 0 {
			r.MoveTo(x, y)
		} else {
			r.LineTo(x, y)
		}
	}
	r.ClosePath()
	c.fill(r, col)
}

// stroke paints a pen line of the given width through the points.
func (c *canvas) stroke(points [][2]float64, width float64, col color.Color) {
	r := c.rasterizer()
	for i := 1; i < len(points); i++ {
		a, b := points[i-1], points[i]
		steps := int(math.Hypot(b[0]-a[0], b[1]-a[1])/(width/3)) + 1
		for s := 0; s < steps; s++ {
			t := float64(s) / float64(steps)
			addDisc(r, a[0]+(b[0]-a[0])*t, a[1]+(b[1]-a[1])*t, width/2)
		}
	}
	c.fill(r, col)
}

func decodePNG(data []byte) (image.Image, error) {
	return png.Decode(bytes.NewReader(data))
}
