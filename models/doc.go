// Package models holds dxtrain's models: the Network description (layers as data),
// the architectures (logreg, mlp, cnn), deterministic initialisation, the gorgonia
// training graph, the plain-Go inference pass and the optimizers. Gorgonia stays
// behind this package's own types, so the rest of dxtrain never imports it.
package models
