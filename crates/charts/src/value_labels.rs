//! Where a line chart's value labels go: beside their marker, on the side the line leaves
//! open, clear of the lines, the markers, the labels placed before and the plot's edges.
//!
//! Placement is greedy and bounded: each label tries a fixed list of spots around its marker
//! (at most [`SPOTS`] of them) in an order chosen from the line's direction, and takes the spot
//! that collides least, the earlier spot on a tie. Nothing here draws; it works in pixels.

/// A rectangle in pixels, `left <= right` and `top <= bottom` (y grows downwards).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Area {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Area {
    /// The `width` x `height` rectangle centred on `(x, y)`.
    pub fn around((x, y): (f64, f64), width: f64, height: f64) -> Area {
        Area { left: x - width / 2.0, top: y - height / 2.0, right: x + width / 2.0, bottom: y + height / 2.0 }
    }

    /// Whether the two share more than an edge.
    pub fn overlaps(&self, other: &Area) -> bool {
        self.left < other.right && other.left < self.right && self.top < other.bottom && other.top < self.bottom
    }

    /// Whether `inner` lies wholly inside.
    pub fn contains(&self, inner: &Area) -> bool {
        inner.left >= self.left && inner.right <= self.right && inner.top >= self.top && inner.bottom <= self.bottom
    }

    /// Whether the segment from `a` to `b` passes through the inside (Liang-Barsky clipping).
    pub fn crossed_by(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let mut enter = 0.0_f64;
        let mut leave = 1.0_f64;
        for (p, q) in [(-dx, a.0 - self.left), (dx, self.right - a.0), (-dy, a.1 - self.top), (dy, self.bottom - a.1)] {
            if p == 0.0 {
                // Parallel to this edge: outside it (or on it) means no crossing at all.
                if q <= 0.0 {
                    return false;
                }
                continue;
            }
            let t = q / p;
            if p < 0.0 {
                enter = enter.max(t);
            } else {
                leave = leave.min(t);
            }
        }
        enter < leave
    }
}

/// A label to place: its marker's centre, its size, the neighbouring points of its line
/// (which tell which side the line leaves open), and the side another series' close marker
/// in the same month leaves it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Wanted {
    pub at: (f64, f64),
    pub width: f64,
    pub height: f64,
    pub before: Option<(f64, f64)>,
    pub after: Option<(f64, f64)>,
    pub side: Option<Side>,
}

/// Above or below a marker. Of two close markers in one month, the higher one's label goes
/// above and the lower one's below, so that the labels read in the markers' order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Above,
    Below,
}

/// What a label must not cover: the lines' segments and the markers.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Obstacles {
    pub segments: Vec<((f64, f64), (f64, f64))>,
    pub markers: Vec<Area>,
}

/// A marker's radius, and the gap left between a marker and its label.
pub(crate) const MARKER_RADIUS_PX: f64 = 4.0;
const GAP_PX: f64 = 3.0;

/// The spots tried around a marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Spot {
    Above,
    Below,
    AboveLeft,
    AboveRight,
    BelowLeft,
    BelowRight,
    Left,
    Right,
    FarAbove,
    FarBelow,
}

/// How many spots a label tries; bounds the work per label.
const SPOTS: usize = 10;

/// The spots in the order that suits the line's shape at the marker. Screen y grows
/// downwards, so a neighbour with a larger y is lower on the chart.
fn order(w: &Wanted) -> [Spot; SPOTS] {
    use Spot::*;
    match w.side {
        Some(Side::Above) => return [Above, AboveLeft, AboveRight, FarAbove, Left, Right, Below, BelowLeft, BelowRight, FarBelow],
        Some(Side::Below) => return [Below, BelowLeft, BelowRight, FarBelow, Left, Right, Above, AboveLeft, AboveRight, FarAbove],
        None => {}
    }
    let y = w.at.1;
    let lower = |p: Option<(f64, f64)>| p.is_none_or(|p| p.1 >= y);
    let higher = |p: Option<(f64, f64)>| p.is_none_or(|p| p.1 <= y);
    let (before_lower, after_lower) = (lower(w.before), lower(w.after));
    if before_lower && after_lower {
        // A peak, a flat stretch or a lone point: above is open.
        [Above, AboveLeft, AboveRight, FarAbove, Below, BelowLeft, BelowRight, Left, Right, FarBelow]
    } else if higher(w.before) && higher(w.after) {
        // A trough: below is open.
        [Below, BelowLeft, BelowRight, FarBelow, Above, AboveLeft, AboveRight, Left, Right, FarAbove]
    } else if before_lower {
        // Rising: the line comes up from the lower left and goes on to the upper right.
        [AboveLeft, BelowRight, Above, Below, Left, Right, AboveRight, BelowLeft, FarAbove, FarBelow]
    } else {
        // Falling: from the upper left down to the lower right.
        [AboveRight, BelowLeft, Above, Below, Right, Left, AboveLeft, BelowRight, FarAbove, FarBelow]
    }
}

fn spot_area(w: &Wanted, spot: Spot) -> Area {
    let (x, y) = w.at;
    let (hw, hh) = (w.width / 2.0, w.height / 2.0);
    let near = MARKER_RADIUS_PX + GAP_PX;
    let centre = match spot {
        Spot::Above => (x, y - near - hh),
        Spot::Below => (x, y + near + hh),
        Spot::AboveLeft => (x - hw, y - near - hh),
        Spot::AboveRight => (x + hw, y - near - hh),
        Spot::BelowLeft => (x - hw, y + near + hh),
        Spot::BelowRight => (x + hw, y + near + hh),
        Spot::Left => (x - near - hw, y),
        Spot::Right => (x + near + hw, y),
        Spot::FarAbove => (x, y - near - hh - w.height),
        Spot::FarBelow => (x, y + near + hh + w.height),
    };
    Area::around(centre, w.width, w.height)
}

/// The cost of a spot: leaving the plot outweighs covering a label, which outweighs crossing
/// a line or a marker; the order of preference breaks ties.
fn cost(area: &Area, rank: usize, bounds: &Area, placed: &[Area], obstacles: &Obstacles) -> u64 {
    let outside = u64::from(!bounds.contains(area));
    let labels = placed.iter().filter(|p| p.overlaps(area)).count() as u64;
    let lines = obstacles.segments.iter().filter(|(a, b)| area.crossed_by(*a, *b)).count() as u64;
    let markers = obstacles.markers.iter().filter(|m| m.overlaps(area)).count() as u64;
    outside * 1_000_000 + labels * 10_000 + (lines + markers) * 100 + rank as u64
}

/// The box of each label, in order: each avoids the labels before it.
pub(crate) fn place(wanted: &[Wanted], obstacles: &Obstacles, bounds: Area) -> Vec<Area> {
    let mut placed: Vec<Area> = Vec::with_capacity(wanted.len());
    for w in wanted {
        let best = order(w)
            .iter()
            .enumerate()
            .map(|(rank, spot)| {
                let area = spot_area(w, *spot);
                (cost(&area, rank, &bounds, &placed, obstacles), area)
            })
            .min_by_key(|(c, _)| *c)
            .map(|(_, area)| area)
            .expect("SPOTS is not zero");
        placed.push(best);
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(at: (f64, f64), before: Option<(f64, f64)>, after: Option<(f64, f64)>) -> Wanted {
        Wanted { at, width: 40.0, height: 13.0, before, after, side: None }
    }

    fn bounds() -> Area {
        Area { left: 0.0, top: 0.0, right: 400.0, bottom: 200.0 }
    }

    #[test]
    fn segments_cross_a_box_only_through_its_inside() {
        let a = Area { left: 10.0, top: 10.0, right: 20.0, bottom: 20.0 };
        assert!(a.crossed_by((0.0, 15.0), (30.0, 15.0)));
        assert!(a.crossed_by((0.0, 0.0), (30.0, 30.0)));
        assert!(a.crossed_by((12.0, 12.0), (13.0, 13.0)), "a segment wholly inside");
        assert!(!a.crossed_by((0.0, 5.0), (30.0, 5.0)));
        assert!(!a.crossed_by((0.0, 30.0), (30.0, 21.0)));
        assert!(!a.crossed_by((25.0, 0.0), (25.0, 30.0)));
    }

    #[test]
    fn a_label_sits_on_the_open_side_of_its_line() {
        let line = |before: (f64, f64), at: (f64, f64), after: (f64, f64)| Obstacles {
            segments: vec![(before, at), (at, after)],
            markers: vec![Area::around(at, 10.0, 10.0)],
        };
        // A peak: above. A trough: below.
        let (b, p, a) = ((100.0, 150.0), (200.0, 60.0), (300.0, 150.0));
        let peak = place(&[wanted(p, Some(b), Some(a))], &line(b, p, a), bounds())[0];
        assert!(peak.bottom < p.1, "{peak:?}");
        let (b, t, a) = ((100.0, 50.0), (200.0, 120.0), (300.0, 50.0));
        let trough = place(&[wanted(t, Some(b), Some(a))], &line(b, t, a), bounds())[0];
        assert!(trough.top > t.1, "{trough:?}");
        // A steep rise: neither centred spot is clear, and no line crosses the chosen one.
        let (b, r, a) = ((180.0, 190.0), (200.0, 100.0), (220.0, 10.0));
        let obstacles = line(b, r, a);
        let rise = place(&[wanted(r, Some(b), Some(a))], &obstacles, bounds())[0];
        assert!(obstacles.segments.iter().all(|(p, q)| !rise.crossed_by(*p, *q)), "{rise:?}");
    }

    #[test]
    fn labels_stay_inside_and_apart() {
        // Two points at the bottom edge, one just above the other: the second label moves.
        let low = (200.0, 196.0);
        let near = (200.0, 180.0);
        let boxes = place(&[wanted(low, None, None), wanted(near, None, None)], &Obstacles::default(), bounds());
        assert!(boxes.iter().all(|b| bounds().contains(b)), "{boxes:?}");
        assert!(!boxes[0].overlaps(&boxes[1]), "{boxes:?}");
    }

    #[test]
    fn close_markers_of_one_month_keep_their_labels_in_their_order() {
        // A trough just above another series' marker: its label goes above all the same.
        let (high, low) = ((200.0, 100.0), (200.0, 108.0));
        let trough = Wanted { side: Some(Side::Above), ..wanted(high, Some((100.0, 20.0)), Some((300.0, 20.0))) };
        let flat = Wanted { side: Some(Side::Below), ..wanted(low, Some((100.0, 108.0)), Some((300.0, 108.0))) };
        let boxes = place(&[trough, flat], &Obstacles::default(), bounds());
        assert!(boxes[0].bottom < high.1 && boxes[1].top > low.1, "{boxes:?}");
    }
}
