// A kafkajs consumer group of two members and a kafkajs producer: the members join first, then 500 messages
// are produced, and every message must be read exactly once with both members taking part.
// BOOTSTRAP and TOPIC come from the environment.
const { Kafka, logLevel } = require('kafkajs');
const topic = process.env.TOPIC || 'kafkajs-compat';
const sleep = ms => new Promise(r => setTimeout(r, ms));

(async () => {
  const kafka = new Kafka({ brokers: [process.env.BOOTSTRAP || '127.0.0.1:9092'], clientId: 'kjs-g', logLevel: logLevel.NOTHING });
  const admin = kafka.admin(); await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });

  const seen = new Map(); const perMember = [0, 0]; const assigned = [0, 0];
  const consumers = [0, 1].map(() => kafka.consumer({ groupId: topic + '-group', sessionTimeout: 10000, heartbeatInterval: 500 }));
  for (const [i, c] of consumers.entries()) {
    c.on(c.events.GROUP_JOIN, e => { assigned[i] = (e.payload.memberAssignment[topic] || []).length; });
    await c.connect(); await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: async ({ message }) => { perMember[i]++; const v = message.value.toString(); seen.set(v, (seen.get(v) || 0) + 1); } });
  }
  // Both members hold partitions (after the rebalance that the second member's arrival causes).
  let deadline = Date.now() + 60000;
  while (!(assigned[0] > 0 && assigned[1] > 0 && assigned[0] + assigned[1] === 4) && Date.now() < deadline) await sleep(100);

  const producer = kafka.producer(); await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: 500 }, (_, i) => ({ key: 'k' + i, value: 'v' + i })) });

  deadline = Date.now() + 60000;
  while (seen.size < 500 && Date.now() < deadline) await sleep(200);
  await sleep(2000);
  const dupes = [...seen.values()].filter(n => n > 1).length;
  console.log(JSON.stringify({ unique: seen.size, dupes, perMember, assigned }));
  for (const c of consumers) await c.disconnect();
  await producer.disconnect(); await admin.disconnect();
  process.exit(seen.size === 500 && dupes === 0 && perMember.every(n => n > 0) ? 0 : 1);
})().catch(e => { console.error('FAILED', e); process.exit(1); });
