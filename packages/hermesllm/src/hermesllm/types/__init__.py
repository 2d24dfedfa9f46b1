"""msgspec wire types, one module per API (requests and non-streaming responses).

Every struct omits absent optionals when encoded. Decoding ignores fields a struct does not
model, so these types are for translation; same-API pass-through works on the raw JSON object.
"""
