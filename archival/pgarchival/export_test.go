package pgarchival

// EfSearchFor exposes efSearchFor to the benchmarks, whose raw SQL reference searches as deep.
var EfSearchFor = efSearchFor
