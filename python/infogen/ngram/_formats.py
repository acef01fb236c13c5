"""Names and versions of infogen's n-gram file formats, shared by the modules that read and
write them (counts.py, outofcore.py), so neither imports the other for a constant.
"""

#: the JSON "format" of a counts file (.npz, or the raw form below) and its version
COUNTS_FORMAT = "infogen.ngram.counts"
COUNTS_VERSION = 1
#: the first 8 bytes of the raw counts form (NGramCounts.dumps) and its version
COUNTS_RAW_MAGIC = b"IGNGRAM2"
COUNTS_RAW_VERSION = 2
