-- A small SQL workload for trace recipes: a table, an index, inserts, joins, aggregates.
CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, city TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, total REAL, note TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO customer SELECT i, 'customer-' || i, 'city-' || (i % 37) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO orders SELECT i, 1 + (i * 7) % 2000, (i * 13) % 1000 / 10.0, printf('note %d %s', i, hex(i * 31)) FROM n;
CREATE INDEX orders_by_customer ON orders(customer);
SELECT c.city, count(*), round(sum(o.total), 2) FROM orders o JOIN customer c ON c.id = o.customer
GROUP BY c.city ORDER BY 3 DESC LIMIT 5;
SELECT name, (SELECT count(*) FROM orders WHERE customer = customer.id) AS n FROM customer ORDER BY n DESC, name LIMIT 5;
UPDATE orders SET note = note || ' (checked)' WHERE total > 50;
DELETE FROM orders WHERE id % 3 = 0;
SELECT count(*), group_concat(DISTINCT substr(note, 1, 6)) FROM orders;
