"""A small Python program with the allocation habits of real ones, for trace recipes.

Run with PYTHONMALLOC=malloc so that every object goes through malloc: parsing JSON into
dicts and lists, building records with string keys, a class with instances, sorting,
string formatting and joining, a dict that grows and is resized, temporaries dying young.
The work is deterministic (no clock, no randomness) and takes well under a second.
"""
import json
import sys

SCALE = int(sys.argv[1]) if len(sys.argv) > 1 else 1


class Order:
    __slots__ = ("ident", "customer", "items", "total")

    def __init__(self, ident, customer, items):
        self.ident = ident
        self.customer = customer
        self.items = items
        self.total = sum(price * count for _, price, count in items)


def make_document(n):
    rows = []
    for i in range(n):
        rows.append({"id": i, "customer": f"customer-{i % 97}", "items": [
            {"sku": f"sku-{(i * 7 + k) % 501}", "price": (i * 13 + k) % 1000 / 10.0, "count": 1 + k % 3}
            for k in range(i % 5 + 1)]})
    return json.dumps({"orders": rows})


def main():
    text = make_document(1500 * SCALE)
    orders = [Order(r["id"], r["customer"], [(it["sku"], it["price"], it["count"]) for it in r["items"]])
              for r in json.loads(text)["orders"]]
    by_customer = {}
    for o in orders:
        by_customer.setdefault(o.customer, []).append(o)
    ranking = sorted(by_customer.items(), key=lambda kv: -sum(o.total for o in kv[1]))
    report = "\n".join(f"{name:>14} {len(os):4d} {sum(o.total for o in os):10.2f}" for name, os in ranking[:20])
    words = {}
    for o in orders:
        for sku, _, count in o.items:
            words[sku] = words.get(sku, 0) + count
    del orders, by_customer
    print(len(report), len(words), sum(words.values()))


if __name__ == "__main__":
    main()
