package signing

// Rect is a rectangle on a PDF page in points (1/72 inch), origin at the bottom left.
type Rect struct {
	LLX, LLY, URX, URY float64
}

// Width of the rectangle in points.
func (r Rect) Width() float64 { return r.URX - r.LLX }

// Height of the rectangle in points.
func (r Rect) Height() float64 { return r.URY - r.LLY }

func (r Rect) empty() bool { return r.Width() <= 0 || r.Height() <= 0 }

// MM converts millimetres to points.
func MM(mm float64) float64 { return mm * 72 / 25.4 }
