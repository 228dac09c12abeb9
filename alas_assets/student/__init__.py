"""Student backends: train and query the model being kept current."""
