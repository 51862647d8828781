#!/usr/bin/python3
"""librdkafka transactions (Debian's python3-confluent-kafka): a transactional producer commits one transaction
(with the consumer group's offsets sent inside it) and aborts another, with non-transactional messages in between;
a read_committed consumer must see exactly the committed and the non-transactional messages, and the group's
committed offset must be the committed transaction's. Usage: transactions.py BOOTSTRAP TOPIC. Prints one JSON line;
exit code 0 when all holds."""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic = sys.argv[1], sys.argv[2]
group = topic + "-group"

admin = AdminClient({"bootstrap.servers": bootstrap})
for future in admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=-1)]).values():
    future.result(30)

producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": topic + "-tx"})
producer.init_transactions(30)
plain = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})


def group_metadata():
    # A consumer of the group whose offsets the transaction carries (librdkafka needs its metadata).
    member = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    metadata = member.consumer_group_metadata()
    return member, metadata


member, metadata = group_metadata()

producer.begin_transaction()
for i in range(10):
    producer.produce(topic, key="k%d" % i, value="committed-%d" % i)
producer.send_offsets_to_transaction([TopicPartition(topic, 0, 42)], metadata, 30)
producer.commit_transaction(30)

for i in range(5):
    plain.produce(topic, key="p%d" % i, value="plain-%d" % i)
plain.flush(30)

producer.begin_transaction()
for i in range(10):
    producer.produce(topic, key="k%d" % i, value="aborted-%d" % i)
producer.send_offsets_to_transaction([TopicPartition(topic, 0, 99)], metadata, 30)
producer.abort_transaction(30)

producer.begin_transaction()
producer.produce(topic, key="last", value="committed-last")
producer.commit_transaction(30)
member.close()

reader = Consumer({"bootstrap.servers": bootstrap, "group.id": topic + "-reader", "auto.offset.reset": "earliest",
                   "isolation.level": "read_committed", "enable.partition.eof": False})
reader.subscribe([topic])
seen = []
deadline = time.time() + 60
while len(seen) < 16 and time.time() < deadline:
    message = reader.poll(0.2)
    if message is not None and message.error() is None:
        seen.append(message.value().decode())
end = time.time() + 1
while time.time() < end:
    message = reader.poll(0.2)
    if message is not None and message.error() is None:
        seen.append(message.value().decode())
reader.close()

checker = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
offset = checker.committed([TopicPartition(topic, 0)], 30)[0].offset
checker.close()

result = {
    "seen": len(seen),
    "committed": sum(v.startswith("committed-") for v in seen),
    "plain": sum(v.startswith("plain-") for v in seen),
    "aborted": sum(v.startswith("aborted-") for v in seen),
    "groupOffset": offset,
}
print(json.dumps(result))
ok = result == {"seen": 16, "committed": 11, "plain": 5, "aborted": 0, "groupOffset": 42}
sys.exit(0 if ok else 1)
