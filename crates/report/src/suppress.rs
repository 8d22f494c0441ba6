//! Safe aggregates: small-cell suppression over a set of cells tied by additive equations
//! (a total equals the sum of its parts).
//!
//! **Rule.** (1) Primary: every count in `1..=threshold` is suppressed. (2) Complementary: while
//! some equation has exactly one suppressed member, the smallest positive published member of it
//! is suppressed as well (a part before a total, so totals stay published where possible).
//! (3) Audit: an exact linear-algebra check ([`determined`]) asks, for every suppressed cell,
//! whether the published cells and the equations fix its value; if one is fixed, the smallest
//! positive published cell of an equation it is in is suppressed and (2)–(3) run again. Each
//! round suppresses one more cell, so the loop ends (at worst with every positive cell hidden).
//!
//! **Why no suppressed cell can be recovered.** Write the equations as `A·x = 0` over all cells;
//! moving the published cells to the right gives `A_S·x_S = b` over the suppressed cells `S`. A
//! suppressed cell `j` is determined exactly when the unit vector `e_j` lies in the row space of
//! `A_S` (then `e_j = yᵀA_S` and `x_j = yᵀb`); otherwise there is a vector `z` with `A_S·z = 0`
//! and `z_j ≠ 0`, and `x_S + t·z` satisfies every equation for all `t`, so the published values
//! are consistent with more than one value of `x_j`. [`determined`] reduces `A_S` to reduced row
//! echelon form with exact rational arithmetic: `e_j` is in the row space iff column `j` is a
//! pivot whose row has no other non-zero entry. Step (3) only stops when no cell is determined,
//! which is the guarantee; a separate rank-based check in the property tests confirms it.
//!
//! What this does not promise: the *interval* an attacker can deduce (from non-negativity) may
//! be narrow; cells are only guaranteed not to be pinned to a single value.

use std::collections::{BTreeMap, BTreeSet};

/// One equation: `Σ coef·cell = 0`, coefficients ±1 (children +1, the total −1).
pub type Equation = Vec<(usize, i8)>;

/// Which cells to suppress so that no count in `1..=threshold` is published and none can be
/// recovered from the rest. `threshold` is at least 1 (checked by the caller's settings).
pub fn suppress(values: &[u64], equations: &[Equation], threshold: u64) -> Vec<bool> {
    let mut hidden: Vec<bool> = values.iter().map(|&v| v >= 1 && v <= threshold).collect();
    if !hidden.iter().any(|h| *h) {
        return hidden;
    }
    // A total is the member with coefficient −1; prefer hiding parts.
    let mut is_total = vec![false; values.len()];
    for eq in equations {
        for &(c, k) in eq {
            if k < 0 {
                is_total[c] = true;
            }
        }
    }
    let pick = |eq: &Equation, hidden: &[bool]| -> Option<usize> {
        eq.iter()
            .map(|&(c, _)| c)
            .filter(|&c| !hidden[c] && values[c] > 0)
            .min_by_key(|&c| (is_total[c], values[c], c))
    };
    loop {
        // (2) No equation with a single unknown.
        let mut changed = true;
        while changed {
            changed = false;
            for eq in equations {
                let unknown = eq.iter().filter(|&&(c, _)| hidden[c]).count();
                if unknown == 1
                    && let Some(c) = pick(eq, &hidden)
                {
                    hidden[c] = true;
                    changed = true;
                }
            }
        }
        // (3) The exact audit.
        let fixed = determined(&hidden, equations);
        let Some(&j) = fixed.first() else {
            return hidden;
        };
        let extra = equations
            .iter()
            .filter(|eq| eq.iter().any(|&(c, _)| c == j))
            .find_map(|eq| pick(eq, &hidden));
        match extra {
            Some(c) => hidden[c] = true,
            // Nothing left to hide next to it: hide every positive cell (always safe).
            None => {
                for (h, &v) in hidden.iter_mut().zip(values) {
                    if v > 0 {
                        *h = true;
                    }
                }
                return hidden;
            }
        }
    }
}

/// A rational number kept exact; `None` on overflow (the caller then treats the cell as
/// determined, which only ever hides more).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Q(i128, i128);

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl Q {
    const ZERO: Q = Q(0, 1);
    fn norm(n: i128, d: i128) -> Q {
        let g = gcd(n, d);
        let s = if d < 0 { -1 } else { 1 };
        Q(s * n / g, s * d / g)
    }
    fn sub_mul(self, f: Q, o: Q) -> Option<Q> {
        // self - f*o
        let n = f.0.checked_mul(o.0)?;
        let d = f.1.checked_mul(o.1)?;
        let num = self.0.checked_mul(d)?.checked_sub(n.checked_mul(self.1)?)?;
        Some(Q::norm(num, self.1.checked_mul(d)?))
    }
    fn div(self, o: Q) -> Option<Q> {
        Some(Q::norm(self.0.checked_mul(o.1)?, self.1.checked_mul(o.0)?))
    }
}

/// The suppressed cells whose value the published cells and the equations pin down exactly.
pub fn determined(hidden: &[bool], equations: &[Equation]) -> Vec<usize> {
    // Only equations with a hidden cell matter; split them into independent groups
    // (connected through shared hidden cells) so each elimination stays small.
    let rows: Vec<Vec<(usize, i8)>> = equations
        .iter()
        .map(|eq| {
            eq.iter()
                .copied()
                .filter(|&(c, _)| hidden[c])
                .collect::<Vec<_>>()
        })
        .filter(|r: &Vec<(usize, i8)>| !r.is_empty())
        .collect();
    let mut parent: BTreeMap<usize, usize> = BTreeMap::new();
    fn find(p: &mut BTreeMap<usize, usize>, x: usize) -> usize {
        let mut r = x;
        while let Some(&q) = p.get(&r) {
            if q == r {
                break;
            }
            r = q;
        }
        p.insert(x, r);
        r
    }
    for r in &rows {
        for &(c, _) in r {
            parent.entry(c).or_insert(c);
        }
        let a = find(&mut parent, r[0].0);
        for &(c, _) in &r[1..] {
            let b = find(&mut parent, c);
            if a != b {
                parent.insert(b, a);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<&Vec<(usize, i8)>>> = BTreeMap::new();
    for r in &rows {
        let g = find(&mut parent, r[0].0);
        groups.entry(g).or_default().push(r);
    }
    let mut out = BTreeSet::new();
    for eqs in groups.values() {
        let cols: Vec<usize> = eqs
            .iter()
            .flat_map(|r| r.iter().map(|&(c, _)| c))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let col_of: BTreeMap<usize, usize> =
            cols.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        let mut m: Vec<Vec<Q>> = eqs
            .iter()
            .map(|r| {
                let mut row = vec![Q::ZERO; cols.len()];
                for &(c, k) in r.iter() {
                    if let Some(&i) = col_of.get(&c) {
                        row[i] = Q(i128::from(k), 1);
                    }
                }
                row
            })
            .collect();
        match rref_unit_columns(&mut m) {
            Some(unit) => out.extend(unit.into_iter().map(|i| cols[i])),
            None => out.extend(cols.iter().copied()),
        }
    }
    out.into_iter().collect()
}

/// Reduces `m` in place; returns the columns `j` with `e_j` in the row space.
fn rref_unit_columns(m: &mut [Vec<Q>]) -> Option<Vec<usize>> {
    let ncols = m.first().map_or(0, Vec::len);
    let mut pivots: Vec<(usize, usize)> = Vec::new();
    let mut r = 0;
    for c in 0..ncols {
        let Some(p) = (r..m.len()).find(|&i| m[i][c] != Q::ZERO) else {
            continue;
        };
        m.swap(r, p);
        let pv = m[r][c];
        for x in m[r].iter_mut() {
            *x = x.div(pv)?;
        }
        let pivot_row = m[r].clone();
        for (i, row) in m.iter_mut().enumerate() {
            if i != r && row[c] != Q::ZERO {
                let f = row[c];
                for (x, &p) in row.iter_mut().zip(&pivot_row) {
                    if p != Q::ZERO {
                        *x = x.sub_mul(f, p)?;
                    }
                }
            }
        }
        pivots.push((r, c));
        r += 1;
        if r == m.len() {
            break;
        }
    }
    Some(
        pivots
            .into_iter()
            .filter(|&(r, c)| {
                m[r].iter()
                    .enumerate()
                    .all(|(j, x)| j == c || *x == Q::ZERO)
            })
            .map(|(_, c)| c)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_total(parts: &[usize], total: usize) -> Equation {
        let mut e: Equation = parts.iter().map(|&c| (c, 1)).collect();
        e.push((total, -1));
        e
    }

    #[test]
    fn a_lone_small_cell_takes_a_partner_and_the_total_stays() {
        // cells 0..3, total 3
        let v = [3, 10, 20, 33];
        let h = suppress(&v, &[row_total(&[0, 1, 2], 3)], 4);
        assert_eq!(h, vec![true, true, false, false]);
    }

    #[test]
    fn a_bridge_between_two_suppressed_cycles_is_caught_by_the_audit() {
        // Two suppressed cells in one row only: 2x2 table with margins.
        // a b | A ;  c d | C ; cols: ab cd -> totals
        // cells: a0 b1 c2 d3 rowA4 rowC5 col1_6 col2_7 grand8
        let eqs = vec![
            row_total(&[0, 1], 4),
            row_total(&[2, 3], 5),
            row_total(&[0, 2], 6),
            row_total(&[1, 3], 7),
            row_total(&[4, 5], 8),
            row_total(&[6, 7], 8),
        ];
        let v = [2, 9, 8, 7, 11, 15, 10, 16, 26];
        let h = suppress(&v, &eqs, 4);
        assert!(h[0]);
        assert!(determined(&h, &eqs).is_empty());
        assert_eq!(h.iter().filter(|x| **x).count(), 4, "{h:?}");
    }

    #[test]
    fn determined_sees_a_cell_fixed_through_two_equations() {
        // a + b = T1 ; a + c = T2 ; b + c = T3 with a, b, c hidden: solvable (3 eq, 3 unknowns).
        let eqs = vec![
            row_total(&[0, 1], 3),
            row_total(&[0, 2], 4),
            row_total(&[1, 2], 5),
        ];
        let h = [true, true, true, false, false, false];
        assert_eq!(determined(&h, &eqs), vec![0, 1, 2]);
        let h2 = [true, true, false, false, false, false];
        // a + b known, a known via second eq (c published) -> both fixed.
        assert_eq!(determined(&h2, &eqs), vec![0, 1]);
    }
}
