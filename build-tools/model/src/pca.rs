//! Principal component analysis for the distiller: the covariance of the token vectors,
//! its eigenvectors by cyclic Jacobi rotations (exact for a symmetric matrix, no
//! dependency), and the projection onto the leading components. Signs are fixed (the
//! largest entry of each component is positive) so the result is deterministic.

/// The leading `k` principal components of `rows` (each of `dims` values).
pub struct Pca {
    pub mean: Vec<f64>,
    /// `k` unit vectors of `dims` values, by decreasing variance.
    pub components: Vec<Vec<f64>>,
    /// Share of the total variance the components keep (0–1).
    pub explained: f64,
}

/// Eigenvalues and eigenvectors (as columns of the returned row-major matrix) of the
/// symmetric `n`×`n` matrix `a`.
pub fn symmetric_eigen(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..n).flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| a[i * n + j].powi(2)).sum();
        let total: f64 = a.iter().map(|x| x * x).sum();
        if off <= 1e-22 * total.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let akp = a[k * n + p];
                    let akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let apk = a[p * n + k];
                    let aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let vkp = v[k * n + p];
                    let vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

impl Pca {
    pub fn fit(rows: &[Vec<f32>], k: usize) -> Pca {
        let dims = rows.first().map_or(0, Vec::len);
        let count = rows.len().max(1) as f64;
        let mut mean = vec![0.0; dims];
        for r in rows {
            for (m, x) in mean.iter_mut().zip(r) {
                *m += f64::from(*x) / count;
            }
        }
        let mut cov = vec![0.0; dims * dims];
        let mut centred = vec![0.0; dims];
        for r in rows {
            for (c, (x, m)) in centred.iter_mut().zip(r.iter().zip(&mean)) {
                *c = f64::from(*x) - m;
            }
            for i in 0..dims {
                let ci = centred[i];
                for j in i..dims {
                    cov[i * dims + j] += ci * centred[j];
                }
            }
        }
        for i in 0..dims {
            for j in i..dims {
                let value = cov[i * dims + j] / count;
                cov[i * dims + j] = value;
                cov[j * dims + i] = value;
            }
        }
        let (values, vectors) = symmetric_eigen(cov, dims);
        let mut order: Vec<usize> = (0..dims).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
        let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
        let kept: f64 = order.iter().take(k).map(|&i| values[i].max(0.0)).sum();
        let components = order
            .iter()
            .take(k)
            .map(|&col| {
                let mut c: Vec<f64> = (0..dims).map(|row| vectors[row * dims + col]).collect();
                let largest = c.iter().copied().fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
                if largest < 0.0 {
                    c.iter_mut().for_each(|x| *x = -*x);
                }
                c
            })
            .collect();
        Pca { mean, components, explained: if total > 0.0 { kept / total } else { 0.0 } }
    }

    pub fn project(&self, row: &[f32]) -> Vec<f32> {
        self.components
            .iter()
            .map(|c| c.iter().zip(row.iter().zip(&self.mean)).map(|(w, (x, m))| w * (f64::from(*x) - m)).sum::<f64>() as f32)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_of_a_known_matrix() {
        // [[2,1],[1,2]] has eigenvalues 1 and 3.
        let (values, vectors) = symmetric_eigen(vec![2.0, 1.0, 1.0, 2.0], 2);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        assert!((sorted[0] - 1.0).abs() < 1e-12 && (sorted[1] - 3.0).abs() < 1e-12);
        let big = if values[0] > values[1] { 0 } else { 1 };
        assert!((vectors[big].abs() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
    }

    #[test]
    fn finds_the_direction_of_most_variance() {
        // Points along (1, 1, 0) with a little noise in z.
        let rows: Vec<Vec<f32>> = (0..50)
            .map(|i| {
                let t = i as f32 - 25.0;
                vec![t, t + 0.01 * (i % 3) as f32, 0.1 * (i % 2) as f32]
            })
            .collect();
        let pca = Pca::fit(&rows, 1);
        let c = &pca.components[0];
        assert!((c[0] - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-3 && (c[1] - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-3, "{c:?}");
        assert!(pca.explained > 0.99);
        let p = pca.project(&[1.0 - 0.5, 1.0 - 0.5 + 0.01, 0.05]);
        assert_eq!(p.len(), 1);
    }
}
