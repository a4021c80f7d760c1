"""Neural-network verification: VNN-LIB properties, sound bounds, and the engine that uses them."""
