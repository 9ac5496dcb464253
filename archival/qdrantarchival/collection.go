package qdrantarchival

import (
	"context"
	"fmt"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/memsvc/memsvc/archival"
)

// The collection's named vectors.
const (
	denseVector   = "dense"
	lexicalVector = "lexical"
)

// payloadIndex is one payload index the collection needs: the tenant key and every field a
// filter reads.
type payloadIndex struct {
	field  string
	typ    qdrant.FieldType
	params *qdrant.PayloadIndexParams
}

var payloadIndexes = []payloadIndex{
	{fieldAgent, qdrant.FieldType_FieldTypeKeyword, qdrant.NewPayloadIndexParamsKeyword(&qdrant.KeywordIndexParams{IsTenant: qdrant.PtrOf(true)})},
	{fieldStatus, qdrant.FieldType_FieldTypeKeyword, nil},
	{fieldKey, qdrant.FieldType_FieldTypeKeyword, nil},
	{fieldSupersededBy, qdrant.FieldType_FieldTypeKeyword, nil}, // what a deleted passage superseded
	{fieldTags, qdrant.FieldType_FieldTypeKeyword, nil},
	{fieldValidFrom, qdrant.FieldType_FieldTypeDatetime, nil},
	{fieldValidTo, qdrant.FieldType_FieldTypeDatetime, nil},
}

// createCollection is the request that makes the deployment's collection: dense cosine vectors of
// dim, sparse lexical vectors weighted by Qdrant's IDF, and HNSW graphs per tenant only (m = 0,
// payload_m = 16), as every query filters by agent.
func createCollection(name string, dim int) *qdrant.CreateCollection {
	return &qdrant.CreateCollection{
		CollectionName: name,
		VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{
			denseVector: {Size: uint64(dim), Distance: qdrant.Distance_Cosine},
		}),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{
			lexicalVector: {Modifier: qdrant.Modifier_Idf.Enum()},
		}),
		HnswConfig: &qdrant.HnswConfigDiff{M: qdrant.PtrOf(uint64(0)), PayloadM: qdrant.PtrOf(uint64(16))},
	}
}

// ensureCollection creates the collection when it does not exist (another replica may race to do
// the same: AlreadyExists is fine), checks its vectors, and creates the payload indexes it lacks.
func (s *Store) ensureCollection(ctx context.Context) error {
	cols := s.client.GetCollectionsClient()
	name := s.cfg.Collection
	exists, err := cols.CollectionExists(ctx, &qdrant.CollectionExistsRequest{CollectionName: name})
	if err != nil {
		return fmt.Errorf("qdrantarchival: collection %s: %w", name, grpcErr(ctx, err))
	}
	if !exists.GetResult().GetExists() {
		_, err := cols.Create(ctx, createCollection(name, s.cfg.Dim))
		if err != nil && status.Code(err) != codes.AlreadyExists {
			return fmt.Errorf("qdrantarchival: create collection %s: %w", name, grpcErr(ctx, err))
		}
	}
	info, err := cols.Get(ctx, &qdrant.GetCollectionInfoRequest{CollectionName: name})
	if err != nil {
		return fmt.Errorf("qdrantarchival: collection %s: %w", name, grpcErr(ctx, err))
	}
	params := info.GetResult().GetConfig().GetParams()
	dense := params.GetVectorsConfig().GetParamsMap().GetMap()[denseVector]
	switch {
	case dense == nil:
		return fmt.Errorf("qdrantarchival: collection %s has no %q vector; it was not made by memsvc: %w",
			name, denseVector, archival.ErrInvalid)
	case dense.GetSize() != uint64(s.cfg.Dim):
		return fmt.Errorf("qdrantarchival: collection %s stores %d-dimensional vectors but the embedder makes %d; "+
			"start with the embedder the collection was created with, or use another collection: %w",
			name, dense.GetSize(), s.cfg.Dim, archival.ErrDimensionMismatch)
	case dense.GetDistance() != qdrant.Distance_Cosine:
		return fmt.Errorf("qdrantarchival: collection %s uses %v distance, want Cosine: %w", name, dense.GetDistance(), archival.ErrInvalid)
	}
	sparse := params.GetSparseVectorsConfig().GetMap()[lexicalVector]
	if sparse == nil || sparse.GetModifier() != qdrant.Modifier_Idf {
		return fmt.Errorf("qdrantarchival: collection %s has no %q sparse vector with the IDF modifier: %w",
			name, lexicalVector, archival.ErrInvalid)
	}
	have := info.GetResult().GetPayloadSchema()
	for _, ix := range payloadIndexes {
		if have[ix.field] != nil {
			continue
		}
		req := &qdrant.CreateFieldIndexCollection{CollectionName: name, FieldName: ix.field,
			FieldType: ix.typ.Enum(), FieldIndexParams: ix.params, Wait: qdrant.PtrOf(true)}
		if _, err := s.points.CreateFieldIndex(ctx, req); err != nil {
			return fmt.Errorf("qdrantarchival: index %s of %s: %w", ix.field, name, grpcErr(ctx, err))
		}
	}
	return nil
}
