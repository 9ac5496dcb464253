package use

import (
	"fmt"
	"math"
)

// Model shape (see doc.go and the converter).
const (
	embDim   = 256  // token embedding and layer 0 input
	modelDim = 512  // layer outputs and the sentence vector
	ffnDim   = 1536 // FFN hidden width
	numHeads = 4
	lnEps    = 1e-6
	l2Eps    = 1e-12
)

// packed is a dense layer: y = x·W + bias, with W (in × out) stored in
// panels of kc output columns, each panel in×kc contiguous, so the matrix
// kernel streams it.
type packed struct {
	in, out int
	panels  []float32 // out/kc panels of in×kc
	bias    []float32
}

func packDense(w, b *rawTensor, in, out int) (*packed, error) {
	if w == nil || b == nil {
		return nil, fmt.Errorf("missing tensor")
	}
	if w.rows != out || w.cols != in || b.rows*b.cols != out || out%kc != 0 {
		return nil, fmt.Errorf("shape %d×%d (bias %d), want %d×%d", w.rows, w.cols, b.rows*b.cols, out, in)
	}
	p := &packed{in: in, out: out, panels: make([]float32, in*out), bias: b.f32}
	for j := 0; j < out; j++ {
		panel := p.panels[(j/kc)*in*kc:]
		for k := 0; k < in; k++ {
			panel[k*kc+j%kc] = w.at(j, k)
		}
	}
	return p, nil
}

type layer struct {
	dIn, headDim int
	scale        float32 // 1/sqrt(headDim)
	ln1g, ln1b   []float32
	qkv, out     *packed
	dense        *packed // layer 0 only: the residual projection dIn → modelDim
	ln2g, ln2b   []float32
	ffn1, ffn2   *packed
}

// model is the parsed, unpacked network.
type model struct {
	tok    *tokenizer
	emb    *rawTensor                 // int8 [8002, 256]
	timing [maxTokens][embDim]float32 // positional signal per position
	layers [2]layer
	pool   *packed
}

func newModel(f *modelFile) (*model, error) {
	if len(f.pieces) != 8000 {
		return nil, fmt.Errorf("%d pieces, want 8000", len(f.pieces))
	}
	m := &model{tok: newTokenizer(f.pieces)}
	t := f.tensors
	vec := func(name string, n int) ([]float32, error) {
		v := t[name]
		if v == nil || v.f32 == nil || len(v.f32) != n {
			return nil, fmt.Errorf("tensor %s: missing or not %d float32", name, n)
		}
		return v.f32, nil
	}
	m.emb = t["emb"]
	if m.emb == nil || m.emb.q == nil || m.emb.rows != 8002 || m.emb.cols != embDim {
		return nil, fmt.Errorf("tensor emb: missing or wrong shape")
	}
	freq, err := vec("timing", embDim/2)
	if err != nil {
		return nil, err
	}
	// AddTimingSignal: [sin(p·f), cos(p·f)], p·f computed in float32.
	for p := range maxTokens {
		for i, f := range freq {
			x := float64(float32(p) * f)
			m.timing[p][i] = float32(math.Sin(x))
			m.timing[p][embDim/2+i] = float32(math.Cos(x))
		}
	}
	for l := range m.layers {
		L := &m.layers[l]
		L.dIn = embDim
		if l > 0 {
			L.dIn = modelDim
		}
		L.headDim = L.dIn / numHeads
		L.scale = float32(1 / math.Sqrt(float64(L.headDim)))
		n := func(s string) string { return fmt.Sprintf("l%d.%s", l, s) }
		var errs [10]error
		L.ln1g, errs[0] = vec(n("ln1.g"), L.dIn)
		L.ln1b, errs[1] = vec(n("ln1.b"), L.dIn)
		L.ln2g, errs[2] = vec(n("ln2.g"), modelDim)
		L.ln2b, errs[3] = vec(n("ln2.b"), modelDim)
		L.qkv, errs[4] = packDense(t[n("qkv.w")], t[n("qkv.b")], L.dIn, 3*L.dIn)
		L.out, errs[5] = packDense(t[n("out.w")], t[n("out.b")], L.dIn, modelDim)
		L.ffn1, errs[6] = packDense(t[n("ffn1.w")], t[n("ffn1.b")], modelDim, ffnDim)
		L.ffn2, errs[7] = packDense(t[n("ffn2.w")], t[n("ffn2.b")], ffnDim, modelDim)
		if l == 0 {
			L.dense, errs[8] = packDense(t[n("dense.w")], t[n("dense.b")], L.dIn, modelDim)
		}
		for i, e := range errs {
			if e != nil {
				return nil, fmt.Errorf("layer %d (%d): %w", l, i, e)
			}
		}
	}
	if m.pool, err = packDense(t["pool.w"], t["pool.b"], modelDim, modelDim); err != nil {
		return nil, fmt.Errorf("pool: %w", err)
	}
	return m, nil
}

// roundUp rounds n up to a multiple of kr.
func roundUp(n int) int { return (n + kr - 1) / kr * kr }

// gemm computes C[0:m, :] = A[0:m, :]·W + bias (acc false) or adds it to
// C (acc true). A and C must hold roundUp(m) rows: the kernel works on
// blocks of kr rows, and the rows past m are scratch.
func gemm(c []float32, ldc int, a []float32, lda int, m int, w *packed, acc bool) {
	mp := roundUp(m)
	for i := 0; i < mp; i++ {
		row := c[i*ldc : i*ldc+w.out]
		if acc {
			for j, b := range w.bias {
				row[j] += b
			}
		} else {
			copy(row, w.bias)
		}
	}
	// Blocks of rows small enough that A's block stays in cache while
	// every panel streams past it.
	const rowBlock = 8 * kr
	for i0 := 0; i0 < mp; i0 += rowBlock {
		i1 := min(mp, i0+rowBlock)
		np := w.out / kc
		p := 0
		for ; p+2 <= np; p += 2 {
			panels := w.panels[p*w.in*kc : (p+2)*w.in*kc]
			for i := i0; i < i1; i += kr {
				kern2(w.in, a[i*lda:], lda, panels, c[i*ldc+p*kc:], ldc)
			}
		}
		for ; p < np; p++ {
			panel := w.panels[p*w.in*kc : (p+1)*w.in*kc]
			for i := i0; i < i1; i += kr {
				kern(w.in, a[i*lda:], lda, panel, c[i*ldc+p*kc:], ldc)
			}
		}
	}
}

// layerNorm writes LN(x) of rows [0, m) of width d into y.
func layerNorm(y, x []float32, m, d int, g, b []float32) {
	for i := 0; i < m; i++ {
		xr := x[i*d : (i+1)*d]
		yr := y[i*d : (i+1)*d]
		var sum float32
		for _, v := range xr {
			sum += v
		}
		mean := sum / float32(d)
		var ss float32
		for _, v := range xr {
			dv := v - mean
			ss += dv * dv
		}
		inv := float32(1 / math.Sqrt(float64(ss/float32(d))+lnEps))
		for j, v := range xr {
			yr[j] = (v-mean)*inv*g[j] + b[j]
		}
	}
}

// work is the scratch of one forward pass over a batch of at most
// rows tokens; one per worker, reused.
type work struct {
	rows                     int
	x0, y, qkv, att, h, z, f []float32
	scores                   []float32
	pooled, pooledOut        []float32
}

func newWork(rows, sentences int) *work {
	r := roundUp(rows)
	s := roundUp(sentences)
	return &work{
		rows:      rows,
		x0:        make([]float32, r*embDim),
		y:         make([]float32, r*modelDim),
		qkv:       make([]float32, r*3*modelDim),
		att:       make([]float32, r*modelDim),
		h:         make([]float32, r*modelDim),
		z:         make([]float32, r*modelDim),
		f:         make([]float32, r*ffnDim),
		scores:    make([]float32, maxTokens),
		pooled:    make([]float32, s*modelDim),
		pooledOut: make([]float32, s*modelDim),
	}
}

// forward embeds a batch of token sequences (each 1..maxTokens ids,
// together at most w.rows) into out[i] (modelDim each).
func (m *model) forward(w *work, seqs [][]int32, out [][]float32) {
	// Rows of all sentences, one after another.
	n := 0
	for _, s := range seqs {
		n += len(s)
	}
	// Input: 2 × embedding + timing signal.
	r := 0
	for _, s := range seqs {
		for p, id := range s {
			row := w.x0[r*embDim : (r+1)*embDim]
			q := m.emb.q[int(id)*embDim : (int(id)+1)*embDim]
			sc := 2 * m.emb.scales[id]
			tm := &m.timing[p]
			for j := range row {
				row[j] = float32(q[j])*sc + tm[j]
			}
			r++
		}
	}
	for l := range m.layers {
		L := &m.layers[l]
		d := L.dIn
		x := w.x0
		if l > 0 {
			x = w.h
		}
		layerNorm(w.y, x, n, d, L.ln1g, L.ln1b)
		gemm(w.qkv, 3*d, w.y, d, n, L.qkv, false)
		m.attention(w, L, seqs)
		if L.dense != nil {
			gemm(w.h, modelDim, w.att, d, n, L.out, false)
			gemm(w.h, modelDim, w.x0, embDim, n, L.dense, true)
		} else {
			gemm(w.h, modelDim, w.att, d, n, L.out, true)
		}
		layerNorm(w.z, w.h, n, modelDim, L.ln2g, L.ln2b)
		gemm(w.f, ffnDim, w.z, modelDim, n, L.ffn1, false)
		for i, v := range w.f[:n*ffnDim] {
			if v < 0 {
				w.f[i] = 0
			}
		}
		gemm(w.h, modelDim, w.f, ffnDim, n, L.ffn2, true)
	}
	// Pooling: mean over the tokens, dense + tanh, L2 normalization.
	r = 0
	for i, s := range seqs {
		p := w.pooled[i*modelDim : (i+1)*modelDim]
		clear(p)
		for range s {
			axpy(1, w.h[r*modelDim:(r+1)*modelDim], p)
			r++
		}
		inv := 1 / float32(max(len(s), 1))
		for j := range p {
			p[j] *= inv
		}
	}
	gemm(w.pooledOut, modelDim, w.pooled, modelDim, len(seqs), m.pool, false)
	for i := range seqs {
		u := w.pooledOut[i*modelDim : (i+1)*modelDim]
		var ss float64
		for j, v := range u {
			t := float32(math.Tanh(float64(v)))
			u[j] = t
			ss += float64(t) * float64(t)
		}
		inv := float32(1 / math.Sqrt(max(ss, l2Eps)))
		o := out[i][:modelDim]
		for j, v := range u {
			o[j] = v * inv
		}
	}
}

// attention runs the heads of layer L over each sentence of the batch
// (tokens attend within their own sentence only), from w.qkv into w.att.
func (m *model) attention(w *work, L *layer, seqs [][]int32) {
	d, hd := L.dIn, L.headDim
	ld := 3 * d
	base := 0
	for _, s := range seqs {
		T := len(s)
		for h := range numHeads {
			for i := range T {
				q := w.qkv[(base+i)*ld+h*hd : (base+i)*ld+(h+1)*hd]
				sc := w.scores[:T]
				mx := float32(math.Inf(-1))
				for j := range T {
					k := w.qkv[(base+j)*ld+d+h*hd : (base+j)*ld+d+(h+1)*hd]
					v := dot(q, k) * L.scale
					sc[j] = v
					mx = max(mx, v)
				}
				var sum float32
				for j, v := range sc {
					e := float32(math.Exp(float64(v - mx)))
					sc[j] = e
					sum += e
				}
				o := w.att[(base+i)*d+h*hd : (base+i)*d+(h+1)*hd]
				clear(o)
				inv := 1 / sum
				for j, p := range sc {
					v := w.qkv[(base+j)*ld+2*d+h*hd : (base+j)*ld+2*d+(h+1)*hd]
					axpy(p*inv, v, o)
				}
			}
		}
		base += T
	}
}
