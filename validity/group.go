package validity

import "math"

// slotGroups groups the candidates that may compete for a slot by similarity (single
// statements about a named subject, whole[i]: see MayCompareWhole, keyed or not) into the slots
// they state, one subject at a time, by average linkage: the two groups of one subject whose
// members are the closest on average (cosine) merge, for as long as that average is at least
// minCos. It returns each candidate's group, -1 for a candidate in none.
//
// Any single pair at or above minCos is weaker evidence than it looks: a person has dozens of
// memories, so some pair of different slots crosses the threshold often enough (under the
// default embedder, 4% of such pairs of the stale suite's people, against 74% of the pairs of
// one slot), and a newer memory of another slot would then age the current value of this one.
// A group takes a memory in only when it is near the group's members on average.
func slotGroups(cands []Candidate, subjects []string, whole []bool, minCos float64) []int {
	out := make([]int, len(cands))
	bySubject := map[string][]int{}
	var order []string
	for i, c := range cands {
		out[i] = -1
		s := subjects[i]
		if !whole[i] || s == "" || s == FirstPerson || len(c.Vector) == 0 {
			continue
		}
		if bySubject[s] == nil {
			order = append(order, s)
		}
		bySubject[s] = append(bySubject[s], i)
	}
	next := 0
	for _, s := range order {
		next = averageLinkage(cands, bySubject[s], minCos, out, next)
	}
	return out
}

// averageLinkage clusters cands[idx] by average linkage down to minCos and numbers the groups in
// out from first on; it returns the next unused number. The average similarity of a merged
// group to each other group is kept up to date by the Lance–Williams update, so each merge
// costs one pass over the groups.
func averageLinkage(cands []Candidate, idx []int, minCos float64, out []int, first int) int {
	n := len(idx)
	sim := make([][]float64, n)
	norm := make([]float64, n)
	for a := range n {
		sim[a] = make([]float64, n)
		v := cands[idx[a]].Vector
		norm[a] = math.Sqrt(dot(v, v))
	}
	for a := range n {
		for b := a + 1; b < n; b++ {
			x := math.Inf(-1)
			if va, vb := cands[idx[a]].Vector, cands[idx[b]].Vector; len(va) == len(vb) {
				x = 0 // as Cosine: 0 for a zero vector
				if norm[a] > 0 && norm[b] > 0 {
					x = dot(va, vb) / (norm[a] * norm[b])
				}
			}
			sim[a][b], sim[b][a] = x, x
		}
	}
	size := make([]int, n) // 0: merged into another group
	parent := make([]int, n)
	for a := range n {
		size[a], parent[a] = 1, a
	}
	for {
		bx, by, best := -1, -1, minCos
		for x := range n {
			if size[x] == 0 {
				continue
			}
			for y := x + 1; y < n; y++ {
				if size[y] > 0 && sim[x][y] >= best {
					bx, by, best = x, y, sim[x][y]
				}
			}
		}
		if bx < 0 {
			break
		}
		sx, sy := float64(size[bx]), float64(size[by])
		for z := range n {
			if size[z] > 0 && z != bx && z != by {
				v := (sx*sim[bx][z] + sy*sim[by][z]) / (sx + sy)
				sim[bx][z], sim[z][bx] = v, v
			}
		}
		size[bx] += size[by]
		size[by] = 0
		for a := range n {
			if parent[a] == by {
				parent[a] = bx
			}
		}
	}
	ids := map[int]int{}
	for a := range n {
		g, ok := ids[parent[a]]
		if !ok {
			g = first
			ids[parent[a]] = g
			first++
		}
		out[idx[a]] = g
	}
	return first
}

// dot is the dot product of two vectors of one length, summed in float64 four ways.
func dot(a, b []float32) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i]) * float64(b[i])
		s1 += float64(a[i+1]) * float64(b[i+1])
		s2 += float64(a[i+2]) * float64(b[i+2])
		s3 += float64(a[i+3]) * float64(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i]) * float64(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}
