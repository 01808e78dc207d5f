#!/usr/bin/env python3
"""Writes the reference fixtures that examiner's tokenizer and encoder are checked against.

The reference is the Python stack that defines all-MiniLM-L6-v2's behaviour: Hugging Face's fast
BertTokenizer (built from vocab.txt, as our C tokenizer is) and sentence-transformers'
SentenceTransformer.encode (BERT -> mean pooling -> the model's Normalize module). This script is
run by hand when the fixtures must be regenerated, never by `make test`; the C tests only read
its output, which is committed.

Usage (from the project root):
    HF_HUB_OFFLINE=1 python3 tools/make_reference.py --model /work/main/models/all-MiniLM-L6-v2 \
        [--shared ../shared] [--out tests/fixtures]
Needs: sentence-transformers, transformers, tokenizers, torch, numpy (no network access).

Files written (UTF-8 JSON Lines: one JSON object per line, lines separated by "\\n" only):
  tokens.jsonl      {"set", "text", "ids"}: ids of the whole text WITH [CLS]/[SEP] and WITHOUT
                    truncation. Sets, in this order:
                      stsb     every distinct sentence of STS-B dev + test, first appearance order
                      seeds    every paragraph of ../shared/seeds/*.txt (rule below)
                      torture  the Unicode torture list of this script (TORTURE)
                      answers  the synthetic interview answers of this script (ANSWERS)
  embeddings.jsonl  {"set", "text", "n_tokens", "embedding"}: n_tokens counts the wordpieces the
                    model saw (with [CLS]/[SEP], after truncation to max_seq_length 256);
                    embedding is 384 floats printed with 8 significant digits, L2-normalised.
  manifest.json     library versions, counts, sizes and SHA-256 of the two files above.

Notes for readers of the fixtures:
  * One torture text contains U+0000; JSON carries it as \\u0000. Read with jansson's
    JSON_ALLOW_NUL and use json_string_length(), not strlen().
  * U+0085, U+2028 and U+2029 are always written as \\u escapes, so splitting the file on "\\n"
    is the only line split needed (Python's str.splitlines() would also split on them).
  * Other non-ASCII text is written as raw UTF-8.
  * Texts that contain "[CLS]", "[SEP]", "[MASK]", "[PAD]" or "[UNK]" are tokenized the way HF does
    by default: the literal special-token string becomes that special token's id.

Seeds paragraph rule: each file is read as bytes and split into paragraphs on blank lines (lines
holding only ASCII whitespace; CRLF counts as LF). A file with no blank line at all (the seeds
include such files, one paragraph per line) is split into its lines instead. Each paragraph is
decoded as UTF-8 with errors="strict"; one that does not decode is skipped and reported.
Paragraphs are stripped (Python str.strip) and empty ones dropped; repeats are kept once.
Size budget: a seeds file over 256 KB (one of the five is 715 KB, ~8800 paragraphs) contributes
every paragraph longer than 256 wordpieces and every second one of the others to tokens.jsonl, so
the fixtures stay under 4 MB; --all-seeds keeps every paragraph.

Embedding picks (deterministic):
  stsb     100 distinct STS-B test sentences, evenly spaced through their first-appearance order
  torture  40 non-empty torture texts, evenly spaced through TORTURE
  seeds    60 paragraphs: up to 35 LONG ones (> 256 wordpieces with specials, so truncation is
           exercised; at least 30 are required), the rest short, evenly spaced through the files
  answers  all 40 synthetic interview answers
Each text is encoded alone (batch of one), so padding never touches the reference numbers.
"""

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MAX_SEQ = 256
N_STSB_EMB = 100
N_TORTURE_EMB = 40
N_SEEDS_EMB = 60
N_SEEDS_LONG_MAX = 35
N_SEEDS_LONG_MIN = 30
BIG_SEEDS_FILE = 256 * 1024

# ---------------------------------------------------------------------------------------------
# Unicode torture list. Invisible or ambiguous characters are written as escapes.
# ---------------------------------------------------------------------------------------------
TORTURE = [
    # Accents, precomposed and decomposed
    "Café",
    "naïve café résumé",
    "Ångström",
    "crème brûlée à la française",
    "Ñandú, señor, año",
    "Zürich, Köln und München",
    "São Paulo, Conceição, ação",
    "Dvořák, Łódź, Świętokrzyskie",
    "CAFÉ NAÏVE ÅNGSTRÖM",
    "Cafe\u0301 with a combining acute",
    "A\u030angstro\u0308m decomposed",
    # Dotted and dotless I
    "İstanbul",
    "ıstanbul ISTANBUL istanbul",
    "DİYARBAKIR ılık",
    "i\u0307 and I\u0307",
    # German sharp s
    "Straße",
    "STRASSE vs Straße vs \u1e9e",
    "Fußgängerübergänge",
    # Greek with tonos
    "Καλημέρα κόσμε",
    "ΆΈΉΊΌΎΏ άέήίόύώ ΐΰ",
    "Ελληνικά με διαλυτικά: ϊ ϋ",
    "σοφία ΣΟΦΊΑ ς",
    # CJK
    "机器学习是人工智能的一个分支。",
    "你好，世界！",
    "日本語のテキスト：ひらがなとカタカナ",
    "カタカナ ｶﾀｶﾅ",
    "한국어 텍스트 처리",
    "안녕하세요 세계",
    "混合 text 和 English words",
    "漢字かなまじり文",
    "\U00020000\U00020001 CJK extension B",
    "〇一二三",
    # Emoji: plain, skin tones, ZWJ sequences, flags, keycaps, variation selectors
    "I love Python 🐍",
    "👍",
    "👍🏽 👍🏿 👋🏻",
    "👨\u200d👩\u200d👧\u200d👦 family",
    "🏳\ufe0f\u200d🌈 flag",
    "❤\ufe0f vs ❤",
    "🇬🇧🇺🇸 regional indicators",
    "😀😃😄😁😆😅🤣😂",
    "👩🏽\u200d💻 coder",
    "1\ufe0f\u20e3 keycap",
    "😀" * 100,
    # Unusual spaces and invisible characters
    "non\u00a0breaking\u00a0space",
    "line\u2028separator",
    "paragraph\u2029separator",
    "ideographic\u3000space",
    "zero\u200bwidth\u200bspace",
    "zero\u200dwidth\u200djoiner",
    "zero\u200cwidth\u200cnon-joiner",
    "\ufeffBOM at the start",
    "BOM\ufeffin the middle",
    "soft\u00adhyphen",
    "en\u2002space em\u2003space thin\u2009space hair\u200aspace",
    "narrow\u202fno-break space",
    "figure\u2007space",
    "ogham\u1680space mark",
    "word\u2060joiner",
    "left-to-right\u200emark right-to-left\u200fmark",
    "bidi \u202aembedding\u202c and \u2066isolate\u2069",
    "interlinear \ufff9annotation\ufffb",
    # Control characters
    "control\x01char",
    "delete\x7fchar",
    "next\u0085line",
    "nul\x00inside",
    "tab\tseparated\tvalues",
    "new\nline",
    "carriage\rreturn",
    "windows\r\nline ending",
    "\t\n\r leading and trailing \t\n\r",
    "bell\x07 escape\x1b[31m red",
    "vertical\x0btab form\x0cfeed",
    "\x1c\x1d\x1e\x1f separators",
    "C1 controls \x80 and \x9f",
    "replacement \ufffd char",
    "\ufffd\ufffd\ufffd",
    "private use \ue000\uf8ff",
    "noncharacters \ufdd0 \uffff",
    # Long words (WordPiece turns words over 100 characters into [UNK])
    "a" * 100,
    "a" * 99,
    "a" * 101,
    "x" * 300,
    "word " + "y" * 150 + " word",
    ("pneumonoultramicroscopicsilicovolcanoconiosis" * 3)[:100],
    ("pneumonoultramicroscopicsilicovolcanoconiosis" * 3)[:101],
    "supercalifragilistic" * 6,
    "é" * 100,
    "é" * 101,
    "e\u0301" * 60,
    "日" * 120,
    "a" * 100 + "," + "b" * 101,
    "ß" * 101,
    "İ" * 60,
    "a" + "\u0301" * 50,
    "the " * 300,
    # URLs and e-mail addresses
    "https://example.com/path/to/page?query=1&b=2#frag",
    "Visit http://www.example.org/index.html for details.",
    "ftp://user:pass@host.example:21/file.tar.gz",
    "mailto:someone@example.com",
    "first.last+tag@sub.example.co.uk",
    "Contact me at jane_doe99@example.io, or call +1 (555) 010-9999.",
    "https://ja.wikipedia.org/wiki/日本語",
    "https://example.com/%E2%9C%93?q=%20",
    # Code
    "def f(x): return x ** 2 if x > 0 else -x",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "lambda x: x[::-1]",
    '#include <stdio.h>\nint main(void) { printf("hi\\n"); }',
    "x = {'a': [1, 2, 3], \"b\": None}",
    "arr.map(x => x * 2).filter(Boolean)",
    'git commit -m "fix: handle NULL" && git push origin HEAD',
    '<div class="a">&nbsp;&amp;&lt;</div>',
    "$ echo $HOME | grep -E '^/r(oo)?t$'",
    "y = np.einsum('ij,jk->ik', A, B)  # matmul",
    'if __name__ == "__main__":\n    main()',
    # Numbers
    "1,000,000",
    "1.000.000,50 €",
    "3.14159265358979323846",
    "1e-9 2.5E+10 0x1F 0b1010 0o777",
    "The price rose 12.5% to $1,234.56 on 2024-03-15.",
    "1\u202f000\u202f000 with narrow spaces",
    "١٢٣٤٥ Arabic-Indic digits",
    "१२३ Devanagari digits",
    "½ ¾ ⅓ fractions",
    "-42 +17 ±3 ∓1",
    "12:30:45.678 UTC+05:30",
    "v1.2.3-rc.1+build.45",
    # Other scripts, alone and mixed
    "مرحبا بالعالم",
    "التعلم الآلي هو فرع من الذكاء الاصطناعي",
    "שלום עולם",
    "Hebrew with niqqud: שָׁלוֹם",
    "नमस्ते दुनिया",
    "मशीन लर्निंग",
    "สวัสดีชาวโลก",
    "Привет, мир!",
    "Машинное обучение — это подраздел ИИ.",
    "English, Русский, العربية, עברית, हिन्दी, ไทย, 中文 in one line",
    "Greek and Latin mixed: αβγ abc",
    "ქართული ენა",
    "Հայերեն",
    "አማርኛ",
    "தமிழ்",
    # Combining marks
    "Z\u0337\u0322a\u0334l\u0338g\u0335o\u0336 text",
    "q\u0323\u0307",
    "\u0301 leading combining mark",
    "a\u0308\u0304 stacked marks",
    # Fullwidth and halfwidth forms
    "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３",
    "ｈｅｌｌｏ，ｗｏｒｌｄ！",
    # Mathematics
    "∀x ∈ ℝ: x² ≥ 0",
    "∑_{i=1}^{n} i = n(n+1)/2",
    "∫₀^∞ e^{-x²} dx = √π / 2",
    "a ≤ b ≠ c ≈ d ≡ e",
    "\U0001d400\U0001d401\U0001d402 \U0001d465\U0001d466\U0001d467 \U0001d538\U0001d539ℂ",
    "∞ ∂ ∇ ⊗ ⊕ ∧ ∨ ¬",
    # Ligatures, superscripts, subscripts, symbols
    "\ufb01nance \ufb02ow \ufb00 \ufb03 \ufb04",
    "Æsir æther Œuvre œuf",
    "Ĳssel ĳs",
    "x² + y³ = z⁴",
    "H₂O and CO₂",
    "10⁻⁶ m",
    "™ ® © ℠",
    # Currency
    "€100 £50 ¥1000 ₹500 ₿0.01 $5 ¢99",
    "₩ ₪ ₫ ₴ ₽ ₺",
    # Punctuation runs
    "!!!???...,,,;;;:::",
    "Wait—what?! Really…",
    "«quoted» „German“ “curly” ‘single’ 「Japanese」",
    "----====____****####",
    "(((nested [brackets {braces}])))",
    "...",
    "a/b\\c|d",
    "@#$%^&*",
    # Special-token strings and WordPiece oddities
    "[CLS] [SEP] [MASK] [PAD] [UNK]",
    "[cls] lowercase special",
    "##ing ##s",
    "unaffable",
    "ALL CAPS SHOUTING SENTENCE",
    "MiXeD CaSe WoRdS",
    "don't can't won't it's",
    "state-of-the-art, well-known",
    "Mr. Smith's U.S.A. trip cost $3.50.",
    # Empty and whitespace-only
    "",
    " ",
    "   \t  ",
    "\n\n\n",
    "\u00a0\u3000\u2028",
    "\u200b",
    "\ufeff",
    "\x00",
]

# ---------------------------------------------------------------------------------------------
# Synthetic interview answers (written for this project), from one line to about 300 words.
# ---------------------------------------------------------------------------------------------
ANSWERS = [
    # Short
    "A list is mutable and a tuple is not.",
    "Use a set when you only need fast membership tests and do not care about order.",
    "Overfitting means the model memorised the training data and does poorly on new data.",
    "The GIL lets only one thread run Python bytecode at a time in CPython.",
    "I would put a load balancer in front of several stateless app servers.",
    "Precision is the share of predicted positives that are right; recall is the share of real "
    "positives we found.",
    "A generator yields values lazily, so it uses little memory on large sequences.",
    "Cache the hot reads in Redis with a short TTL.",
    "Dropout randomly zeroes activations during training so units cannot co-adapt.",
    "I don't know.",
    # Medium
    "A decorator is a function that takes a function and returns a new one, usually a wrapper "
    "that adds behaviour before or after the call. The @ syntax is just sugar for f = deco(f). "
    "I use them for logging, timing, retries and caching, and I always apply functools.wraps so "
    "the wrapper keeps the original name and docstring.",
    "Batch normalisation normalises each feature over the mini-batch and then applies a learned "
    "scale and shift. It makes training less sensitive to initialisation and lets you use higher "
    "learning rates. At inference time it uses running averages of mean and variance instead of "
    "batch statistics, which is a common source of bugs when people forget to call model.eval().",
    "For a URL shortener I would generate a short key from a counter encoded in base62, store "
    "the mapping in a key-value store, and serve redirects from a cache because reads vastly "
    "outnumber writes. Analytics go to a queue so the redirect path stays fast.",
    "The difference between == and is: == compares values through __eq__, while is compares "
    "identity, meaning the two names point at the same object. Use is only for singletons like "
    "None.",
    "Gradient descent moves the parameters a small step against the gradient of the loss. "
    "Stochastic gradient descent estimates that gradient from a mini-batch, which is noisy but "
    "much cheaper, and the noise can even help escape poor regions. Adam adds momentum and a "
    "per-parameter step size.",
    "I handle class imbalance first by choosing the right metric, like PR AUC instead of "
    "accuracy. Then I try class weights, resampling, or adjusting the decision threshold, and I "
    "check calibration afterwards.",
    "Consistent hashing maps both servers and keys onto a ring so that adding or removing a "
    "server only moves the keys next to it, instead of reshuffling everything. Virtual nodes "
    "spread the load more evenly.",
    "A Python context manager defines __enter__ and __exit__, so a with block always runs the "
    "cleanup even when an exception is raised. contextlib.contextmanager lets you write one as "
    "a generator with a single yield.",
    "Cross-validation splits the data into k folds, trains on k minus one of them and tests on "
    "the remaining one, rotating through all folds. It gives a more reliable estimate than a "
    "single split, especially with small data sets. For time series you must use forward "
    "chaining so you never train on the future.",
    "Rate limiting can be done with a token bucket per client stored in Redis: each request "
    "takes a token, tokens refill at a fixed rate, and when the bucket is empty we return 429. "
    "An atomic Lua script avoids race conditions between servers.",
    "Embeddings map discrete items such as words or sentences to dense vectors so that similar "
    "items end up close together. Cosine similarity between sentence embeddings is a cheap way "
    "to compare meaning, which is how semantic search and deduplication work.",
    "Idempotency means doing the same operation twice has the same effect as doing it once. In "
    "a payment API I would require an idempotency key from the client and store the result "
    "under that key, so retries after a timeout never charge the customer twice.",
    "L1 regularisation pushes some weights exactly to zero, so it also selects features. L2 "
    "shrinks all weights smoothly and handles correlated features better. Elastic net mixes "
    "both.",
    "asyncio runs many coroutines on one thread with an event loop; it shines for IO-bound work "
    "like thousands of network calls. For CPU-bound work it does not help and I would use "
    "multiprocessing instead.",
    "A message queue decouples producers from consumers, absorbs traffic spikes and lets you "
    "retry failed work. The trade-off is eventual consistency and the need for idempotent "
    "consumers because delivery is usually at least once.",
    # Long
    "Transformers replaced recurrence with self-attention. Every token computes a query, a key "
    "and a value; the attention weights come from the scaled dot products of queries with keys, "
    "passed through a softmax, and each output is the weighted sum of the values. Because all "
    "positions are processed at once, training parallelises well on GPUs, and long-range "
    "dependencies are one step away instead of many. Multi-head attention runs several of these "
    "in parallel in lower-dimensional subspaces so different heads can specialise, for example "
    "in syntax or coreference. Since attention itself ignores order, positional information is "
    "added, either as fixed sinusoids, learned position embeddings, or rotary embeddings. Each "
    "block also has a position-wise feed-forward network, residual connections and layer "
    "normalisation. The main cost is that attention is quadratic in sequence length, which is "
    "why long-context models use tricks such as sparse or sliding-window attention and "
    "memory-efficient kernels like FlashAttention.",
    "To design a news feed I would start with the requirements: users follow others, the feed "
    "shows recent posts ranked by relevance, reads must be fast, and writes can be slightly "
    "delayed. The core choice is fan-out on write versus fan-out on read. With fan-out on write, "
    "each new post is pushed into the precomputed feed lists of all followers, which makes "
    "reads a single cache lookup but is very expensive for celebrities with millions of "
    "followers. With fan-out on read, the feed is assembled at request time from the people you "
    "follow, which is cheap to write but slow to read. A hybrid works best: push for normal "
    "users, pull for the few accounts with huge follower counts, and merge both at read time. "
    "Posts live in a sharded store keyed by post id, feed lists in Redis, media in object "
    "storage behind a CDN, and a ranking service reorders candidates using engagement features.",
    "Python manages memory mainly with reference counting: every object keeps a count of the "
    "references to it, and when the count drops to zero the memory is released immediately. "
    "Reference counting cannot reclaim cycles, for example two objects that refer to each "
    "other, so CPython also has a generational garbage collector that periodically looks for "
    "unreachable cycles. Objects start in the youngest generation and are promoted if they "
    "survive a collection, because most objects die young. Small objects are served from "
    "pymalloc's arenas, which is why a process's memory use does not always shrink after you "
    "delete data. In practice I look for leaks with tracemalloc, avoid keeping references in "
    "global caches without bounds, and use weakref when an object should not keep another "
    "alive.",
    "When a model performs well offline but badly in production, I first check for "
    "training-serving skew: are the features computed the same way in both places, with the "
    "same preprocessing, units and defaults for missing values? Then I look at data drift by "
    "comparing the distributions of inputs in production with the training set, using simple "
    "statistics or a population stability index. Label leakage in the offline evaluation is "
    "another classic cause: a feature that was only available after the outcome makes offline "
    "metrics look great. I would also check whether the evaluation split mimicked reality, for "
    "instance a random split on data that should have been split by time or by user. Finally I "
    "set up monitoring of predictions and delayed labels so the next problem is caught early.",
    "A hash map stores key-value pairs in an array of buckets. The key's hash picks a bucket, "
    "and collisions are handled either by chaining, where each bucket holds a small list, or by "
    "open addressing, where we probe other slots. Python's dict uses open addressing with a "
    "perturbation scheme and keeps insertion order through a separate compact array of "
    "entries. When the table gets too full it is resized, usually doubling, and every entry is "
    "reinserted, so a single insert can be slow but the amortised cost stays constant. Good "
    "hash functions matter, and keys must be immutable so their hash never changes while they "
    "are stored.",
    "For fine-tuning a pretrained language model on a small labelled data set, I start from a "
    "model close to the target domain, freeze nothing at first but use a small learning rate "
    "with warm-up and linear decay, and train only a few epochs because these models overfit "
    "quickly. I watch the validation loss rather than training loss, and I use early stopping. "
    "If the data is very small, parameter-efficient methods such as LoRA or adapters are more "
    "stable and much cheaper to store. I always keep a simple baseline, like logistic "
    "regression on TF-IDF features, to be sure the large model is worth its cost.",
    "ACID stands for atomicity, consistency, isolation and durability. Atomicity means a "
    "transaction either fully happens or not at all. Consistency means constraints hold before "
    "and after. Isolation means concurrent transactions do not see each other's partial work, "
    "with levels from read uncommitted to serializable trading safety for throughput. "
    "Durability means committed data survives a crash, usually through a write-ahead log.",
    "The bias-variance trade-off describes two sources of error. Bias is error from wrong "
    "assumptions, such as fitting a straight line to a curve; it causes underfitting. Variance "
    "is error from sensitivity to the particular training sample; it causes overfitting. "
    "Making a model more flexible lowers bias but raises variance. Regularisation, more data, "
    "ensembling and cross-validated model selection are the usual tools to find a good "
    "balance.",
    "Python's list sort is Timsort, a hybrid of merge sort and insertion sort that finds runs "
    "that are already ordered and merges them. It is stable, which means equal elements keep "
    "their original order, so you can sort by a secondary key first and then by the primary "
    "key. Its worst case is O(n log n), and on nearly sorted data it approaches linear time. "
    "sorted() returns a new list while list.sort() works in place and returns None, a detail "
    "that catches people who write x = x.sort().",
    "ROC AUC measures how well a score ranks positives above negatives across all thresholds; "
    "it equals the probability that a random positive gets a higher score than a random "
    "negative. It ignores calibration and can look too good when negatives vastly outnumber "
    "positives, in which case the area under the precision-recall curve tells you more about "
    "the cases you care about.",
    # Very long, around 250 to 300 words
    "Vanishing and exploding gradients come from the chain rule: the gradient that reaches an "
    "early layer is a product of many factors, one per layer, and if those factors are mostly "
    "below one the product shrinks towards zero, while if they are mostly above one it grows "
    "without bound. Early deep networks with sigmoid or tanh activations suffered badly from "
    "the first problem, because those functions saturate and their derivatives are small, so "
    "the first layers barely learned anything. Recurrent networks show both problems over "
    "time steps, since the same weight matrix is applied again and again. Several ideas fixed "
    "most of this. Rectified linear units keep a derivative of one for positive inputs. "
    "Careful initialisation, such as Xavier for tanh and He for ReLU, keeps the variance of "
    "activations and gradients roughly constant from layer to layer at the start of training. "
    "Normalisation layers, batch norm in convolutional networks and layer norm in transformers, "
    "keep activations in a healthy range as training proceeds. Residual connections are "
    "probably the most important: they add the input of a block to its output, so the gradient "
    "has a direct path back through the identity and very deep networks become trainable. For "
    "recurrent models, gated cells such as LSTMs and GRUs were designed to carry information "
    "across many steps. For explosions, gradient clipping by global norm is a cheap safety net, "
    "and I also lower the learning rate or use warm-up when the loss suddenly spikes. When I "
    "debug a network that will not train, I log the gradient norm of each layer, because a "
    "layer whose gradients sit at zero or at huge values points straight at the problem, and "
    "mixed-precision training adds loss scaling so that small gradients do not underflow.",
    # Very long, around 250 to 300 words (continued)
    "If I had to build a system that grades written interview answers at scale, I would split "
    "it into an ingestion path, a scoring path and a feedback path. Candidates' answers arrive "
    "through an API that validates them, assigns an id and pushes a job onto a durable queue "
    "such as a Redis stream or Kafka topic, so a burst of submissions never overloads the "
    "scorers. Workers pull jobs in batches, because the embedding model is far more efficient "
    "on a batch than on single texts, tokenize them, run the encoder on a GPU when one is "
    "available, and compare the answer with the reference answer using several features: "
    "cosine similarity of sentence embeddings, token-level alignment scores, and coverage of "
    "the key points the reference lists. A small, well-understood model combines those "
    "features into a score, and the explanation lists which key points were covered and which "
    "were missed, so a human can check the decision. Results are written atomically together "
    "with the acknowledgement of the job, which gives at-least-once processing without "
    "duplicates in the output. Jobs that fail repeatedly go to a dead-letter stream with the "
    "error instead of blocking the queue. The feedback path matters most for quality: whenever "
    "a human or a stronger model grades an answer, that grade is stored, and the system "
    "periodically refits a calibration map per cohort and reports agreement statistics such as "
    "Spearman correlation and quadratic weighted kappa. I would monitor latency, queue depth, "
    "error rates and score distributions, and alert when any of them drifts.",
    "The difference between processes and threads in Python comes down to memory sharing and "
    "the global interpreter lock. Threads live in one process and share its memory, so passing "
    "data between them is cheap, but in CPython only one thread executes Python bytecode at a "
    "time. That makes threads a good fit for IO-bound work, such as waiting on network calls or "
    "disk, since the lock is released while a thread blocks, and a poor fit for pure Python "
    "number crunching. Processes each have their own interpreter and memory, so they run truly "
    "in parallel on several cores, at the cost of slower start-up and the need to serialise "
    "data, usually with pickle, whenever it crosses a process boundary. For heavy numerical "
    "work the picture changes again, because libraries like NumPy release the lock inside "
    "their compiled loops, so threads can scale after all. In practice I choose "
    "concurrent.futures with a ThreadPoolExecutor for IO-bound fan-out, a ProcessPoolExecutor "
    "for CPU-bound Python code, and asyncio when I have thousands of concurrent connections "
    "and want to avoid the overhead of one thread per connection. I also keep in mind that "
    "shared mutable state needs locks even with the GIL, because operations like incrementing "
    "a counter are not atomic at the bytecode level, and that forking a process that already "
    "holds threads or open connections can leave locks in a broken state, which is why the "
    "spawn start method is safer. Newer CPython versions offer a free-threaded build without "
    "the GIL, which may change these trade-offs over the coming years.",
    "Evaluating a retrieval-augmented generation system needs separate checks for retrieval and "
    "for generation, because a bad answer can come from either. For retrieval I build a set of "
    "questions with the passages that should be found, and I measure recall at k and mean "
    "reciprocal rank while I tune the chunk size, the overlap between chunks, the embedding "
    "model and whether to add a keyword search and a reranker. Chunking matters more than "
    "people expect: chunks that are too small lose context, chunks that are too big dilute the "
    "embedding and waste prompt space. For generation I look at faithfulness, meaning every "
    "claim is supported by the retrieved text, and answer relevance, meaning the answer "
    "actually addresses the question. Both can be judged by a strong language model with a "
    "clear rubric, but I calibrate that judge against a sample of human labels before trusting "
    "it, and I keep the judge prompt fixed so scores are comparable across versions. I also "
    "track the cases where the system should refuse because the documents do not contain the "
    "answer. In production I log queries, retrieved ids, answers and user feedback, sample "
    "them for review every week, and run the offline suite in continuous integration so a "
    "change to the prompt or the index cannot silently make things worse. Latency and cost per "
    "query are part of the evaluation too, since a slightly better answer that takes ten "
    "seconds is often worse for users than a good answer in one second.",
    "Designing a distributed cache starts with deciding what consistency the application "
    "needs. Most caches are used with the cache-aside pattern: the application reads from the "
    "cache, on a miss reads from the database and fills the cache, and on a write updates the "
    "database and deletes the cached entry. Deleting rather than updating avoids races where "
    "two writers leave a stale value behind. Keys are spread over nodes with consistent "
    "hashing so that adding a node only moves a small share of them, and each shard can have a "
    "replica for availability. Expiry times bound how stale data can get, and adding a little "
    "random jitter to them prevents many keys from expiring at once. The dangerous failure "
    "mode is a stampede, when a popular key expires and thousands of requests hit the "
    "database together; request coalescing, a short lock around the refill, or serving the "
    "stale value while one request refreshes it all prevent that. Memory is limited, so an "
    "eviction policy such as least recently used or least frequently used decides what to "
    "drop, and I would measure hit rate per key pattern to see whether the cache pays for "
    "itself. Large values should be compressed or split, and hot keys can be replicated to "
    "several nodes or cached locally in the application for a few seconds. Finally, the cache "
    "must never be the only copy of important data, and the system must still work, only "
    "slower, when the whole cache is down, so timeouts to the cache are short and failures "
    "fall back to the database.",
]


def die(msg):
    print("make_reference: " + msg, file=sys.stderr)
    sys.exit(1)


def read_stsb_sentences(path):
    """(s1, s2) of each row of an STS-B file: TAB-separated, no quoting, split on TAB only."""
    rows = []
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.decode("utf-8", errors="strict")
            if line.endswith("\n"):
                line = line[:-1]
            if line.endswith("\r"):
                line = line[:-1]
            if not line:
                continue
            cols = line.split("\t")
            if len(cols) < 7:
                die(f"{path}:{lineno}: expected at least 7 TAB-separated columns, got {len(cols)}")
            rows.append((cols[5], cols[6]))
    return rows


def split_paragraphs(data):
    """Byte chunks of a file: blank-line separated paragraphs, or its lines when it has no blank
    line. Returns a list of (first line number, bytes)."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    blank = [not ln.strip() for ln in lines]
    text_rows = [i for i, b in enumerate(blank) if not b]
    has_blank_line = bool(text_rows) and any(blank[text_rows[0]:text_rows[-1]])
    chunks = []
    if not has_blank_line:
        for i, ln in enumerate(lines):
            if not blank[i]:
                chunks.append((i + 1, ln))
        return chunks
    start, cur = None, []
    for i, ln in enumerate(lines):
        if blank[i]:
            if cur:
                chunks.append((start, b"\n".join(cur)))
            start, cur = None, []
        else:
            if start is None:
                start = i + 1
            cur.append(ln)
    if cur:
        chunks.append((start, b"\n".join(cur)))
    return chunks


def read_seed_paragraphs(seeds_dir):
    """(file name, paragraph, index in file) for every distinct valid paragraph of
    seeds_dir/*.txt, plus the names of the files over the size budget."""
    out, seen, big = [], set(), set()
    files = sorted(Path(seeds_dir).glob("*.txt"))
    if not files:
        die(f"no seeds files in {seeds_dir}")
    for path in files:
        data = path.read_bytes()
        if len(data) > BIG_SEEDS_FILE:
            big.add(path.name)
        index = 0
        try:
            data.decode("utf-8", errors="strict")
        except UnicodeDecodeError as e:
            print(f"  {path.name}: not valid UTF-8 ({e}); skipping its invalid paragraphs")
        for lineno, chunk in split_paragraphs(data):
            try:
                text = chunk.decode("utf-8", errors="strict")
            except UnicodeDecodeError as e:
                print(f"  {path.name}:{lineno}: paragraph skipped, invalid UTF-8: {e}")
                continue
            text = text.strip()
            if text and text not in seen:
                seen.add(text)
                out.append((path.name, text, index))
                index += 1
    return out, big


def evenly(items, n):
    """n items evenly spaced through items (all of them when there are no more than n)."""
    if len(items) <= n:
        return list(items)
    return [items[(i * len(items)) // n] for i in range(n)]


def json_line(obj):
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    # Keep Unicode line breaks escaped so a reader splitting on anything but "\n" is not fooled.
    return s.replace("\u0085", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, help="sentence-transformers model folder")
    ap.add_argument("--shared", default="../shared", help="shared data folder (default ../shared)")
    ap.add_argument("--out", default="tests/fixtures", help="output folder (default tests/fixtures)")
    ap.add_argument("--all-seeds", action="store_true",
                    help="keep every seeds paragraph, even of files over the size budget")
    args = ap.parse_args()

    import numpy as np
    import torch
    import transformers
    import tokenizers
    import sentence_transformers
    from sentence_transformers import SentenceTransformer

    transformers.logging.set_verbosity_error()  # silence "sequence longer than max length"
    torch.manual_seed(0)

    model = SentenceTransformer(args.model, device="cpu")
    model.eval()
    tok = model.tokenizer
    if not tok.is_fast:
        die(f"expected a fast tokenizer, got {type(tok).__name__}")
    if model.max_seq_length != MAX_SEQ:
        die(f"expected max_seq_length {MAX_SEQ}, model says {model.max_seq_length}")
    module_names = [type(m).__name__ for m in model]
    if "Normalize" not in module_names:
        die(f"model has no Normalize module: {module_names}")
    cls_id, sep_id = tok.cls_token_id, tok.sep_token_id

    def ids_of(text):
        return tok(text, add_special_tokens=True, truncation=False)["input_ids"]

    # --- texts ---------------------------------------------------------------------------------
    stsb_dir = Path(args.shared) / "datasets" / "stsbenchmark"
    dev = read_stsb_sentences(stsb_dir / "sts-dev.csv")
    test = read_stsb_sentences(stsb_dir / "sts-test.csv")
    stsb, seen = [], set()
    for s1, s2 in dev + test:
        for s in (s1, s2):
            if s not in seen:
                seen.add(s)
                stsb.append(s)
    test_distinct, seen = [], set()
    for s1, s2 in test:
        for s in (s1, s2):
            if s not in seen:
                seen.add(s)
                test_distinct.append(s)

    print("reading seeds:")
    seeds_all, big_files = read_seed_paragraphs(Path(args.shared) / "seeds")
    seeds = []
    for name, text, index in seeds_all:
        keep = (args.all_seeds or name not in big_files or index % 2 == 0
                or len(ids_of(text)) > MAX_SEQ)
        if keep:
            seeds.append((name, text))
    per_file = {}
    for name, _ in seeds:
        per_file[name] = per_file.get(name, 0) + 1
    for name in sorted(per_file):
        kept = per_file[name]
        of = sum(1 for n, _, _ in seeds_all if n == name)
        print(f"  {name}: {kept} of {of} distinct paragraphs")

    if len(set(TORTURE)) != len(TORTURE):
        die("TORTURE has repeated entries")

    # --- tokens.jsonl ----------------------------------------------------------------------------
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tokens_path = out / "tokens.jsonl"
    counts = {}
    ids_cache = {}
    n_ids = 0
    with open(tokens_path, "w", encoding="utf-8", newline="\n") as f:
        groups = [("stsb", stsb), ("seeds", [t for _, t in seeds]), ("torture", TORTURE),
                  ("answers", ANSWERS)]
        for set_name, texts in groups:
            for text in texts:
                ids = ids_of(text)
                if ids[0] != cls_id or ids[-1] != sep_id:
                    die(f"ids of {text[:40]!r} are not wrapped in [CLS] ... [SEP]")
                ids_cache[text] = ids
                n_ids += len(ids)
                f.write(json_line({"set": set_name, "text": text, "ids": ids}) + "\n")
            counts[set_name] = len(texts)

    # --- embedding picks -------------------------------------------------------------------------
    seed_texts = [t for _, t in seeds]
    long_seeds = [t for t in seed_texts if len(ids_cache[t]) > MAX_SEQ]
    short_seeds = [t for t in seed_texts if len(ids_cache[t]) <= MAX_SEQ]
    if len(long_seeds) < N_SEEDS_LONG_MIN:
        die(f"only {len(long_seeds)} seeds paragraphs exceed {MAX_SEQ} wordpieces")
    pick_long = evenly(long_seeds, N_SEEDS_LONG_MAX)
    pick_short = evenly(short_seeds, N_SEEDS_EMB - len(pick_long))
    picked = set(pick_long) | set(pick_short)
    pick_seeds = [t for t in seed_texts if t in picked]  # keep file order

    emb_groups = [
        ("stsb", evenly(test_distinct, N_STSB_EMB)),
        ("torture", evenly([t for t in TORTURE if t], N_TORTURE_EMB)),
        ("seeds", pick_seeds),
        ("answers", list(ANSWERS)),
    ]

    # --- embeddings.jsonl ------------------------------------------------------------------------
    emb_path = out / "embeddings.jsonl"
    emb_counts, truncated = {}, 0
    with torch.inference_mode(), open(emb_path, "w", encoding="utf-8", newline="\n") as f:
        for set_name, texts in emb_groups:
            for text in texts:
                feats = model.preprocess([text])
                seen_ids = feats["input_ids"][0][feats["attention_mask"][0].bool()].tolist()
                full = ids_cache.get(text) or ids_of(text)
                expect = full if len(full) <= MAX_SEQ else full[: MAX_SEQ - 1] + [sep_id]
                if seen_ids != expect:
                    die(f"model input ids of {text[:40]!r} differ from the truncated tokenizer ids")
                truncated += len(full) > MAX_SEQ
                emb = model.encode([text], batch_size=1, convert_to_numpy=True,
                                   normalize_embeddings=False, show_progress_bar=False)[0]
                emb = np.asarray(emb, dtype=np.float64)
                if emb.shape != (384,) or not np.all(np.isfinite(emb)):
                    die(f"bad embedding for {text[:40]!r}: shape {emb.shape}")
                if abs(np.linalg.norm(emb) - 1.0) > 1e-5:
                    die(f"embedding of {text[:40]!r} is not unit length")
                vals = [float(f"{x:.8g}") for x in emb]
                f.write(json_line({"set": set_name, "text": text, "n_tokens": len(seen_ids),
                                   "embedding": vals}) + "\n")
            emb_counts[set_name] = len(texts)

    # --- manifest and summary --------------------------------------------------------------------
    manifest = {
        "generator": "tools/make_reference.py",
        "model": Path(args.model).name,
        "max_seq_length": MAX_SEQ,
        "versions": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
        "tokenizer_class": type(tok).__name__,
        "tokenizer_is_fast": bool(tok.is_fast),
        "seeds_paragraphs": per_file,
        "tokens": {"counts": counts, "total_ids": n_ids,
                   "bytes": tokens_path.stat().st_size, "sha256": sha256(tokens_path)},
        "embeddings": {"counts": emb_counts, "truncated": int(truncated),
                       "bytes": emb_path.stat().st_size, "sha256": sha256(emb_path)},
    }
    with open(out / "manifest.json", "w", encoding="utf-8", newline="\n") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")

    total = tokens_path.stat().st_size + emb_path.stat().st_size
    print(f"tokenizer: {type(tok).__name__} is_fast={tok.is_fast}; modules: {module_names}")
    print(f"{tokens_path}: {sum(counts.values())} texts {counts}, {n_ids} ids, "
          f"{tokens_path.stat().st_size / 1e6:.2f} MB")
    print(f"{emb_path}: {sum(emb_counts.values())} texts {emb_counts}, {truncated} truncated, "
          f"{emb_path.stat().st_size / 1e6:.2f} MB")
    print(f"total {total / 1e6:.2f} MB")
    if total > 4_000_000:
        print("warning: fixtures exceed 4 MB")


if __name__ == "__main__":
    main()
