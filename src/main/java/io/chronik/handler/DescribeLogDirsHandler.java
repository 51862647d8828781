package io.chronik.handler;

import io.chronik.log.Log;
import io.chronik.log.LogManager;
import io.chronik.log.TopicInfo;
import io.chronik.protocol.Api;
import io.chronik.protocol.KafkaRequest;
import org.apache.kafka.common.message.DescribeLogDirsRequestData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsPartition;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsResult;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsTopic;
import org.apache.kafka.common.protocol.Errors;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.util.Optional;
import java.util.Set;

/**
 * DescribeLogDirs (kafka-log-dirs, AdminClient.describeLogDirs, and the topic sizes UIs show): Chronik's one log
 * directory, the size of each partition in it, and (v4) the file system's total and usable bytes. A partition
 * never lags (there are no replicas being moved), and none is a future replica.
 */
public final class DescribeLogDirsHandler implements RequestHandler {
    private final LogManager logs;
    private final Scheduler io;

    public DescribeLogDirsHandler(LogManager logs, Scheduler io) {
        this.logs = logs;
        this.io = io;
    }

    @Override
    public Set<Api> apis() {
        return Set.of(Api.DESCRIBE_LOG_DIRS);
    }

    @Override
    public Mono<DescribeLogDirsResponseData> handle(KafkaRequest request) {
        DescribeLogDirsRequestData body = request.body();
        // The file system query is file I/O: off the event loop.
        return Mono.fromCallable(() -> describe(body)).subscribeOn(io);
    }

    private DescribeLogDirsResponseData describe(DescribeLogDirsRequestData body) {
        DescribeLogDirsResult dir = new DescribeLogDirsResult().setLogDir(logs.dataDir().toAbsolutePath().toString())
                .setErrorCode(Errors.NONE.code());
        if (body.topics() == null) {
            for (TopicInfo topic : logs.topics()) {
                DescribeLogDirsTopic out = new DescribeLogDirsTopic().setName(topic.name());
                for (int p = 0; p < topic.partitions(); p++) {
                    addPartition(out, topic.name(), p);
                }
                if (!out.partitions().isEmpty()) {
                    dir.topics().add(out);
                }
            }
        } else {
            for (DescribeLogDirsRequestData.DescribableLogDirTopic wanted : body.topics()) {
                DescribeLogDirsTopic out = new DescribeLogDirsTopic().setName(wanted.topic());
                for (int p : wanted.partitions()) {
                    addPartition(out, wanted.topic(), p);
                }
                // As in Kafka: partitions this broker does not have are left out, and so is a topic with none.
                if (!out.partitions().isEmpty()) {
                    dir.topics().add(out);
                }
            }
        }
        try {
            FileStore store = Files.getFileStore(logs.dataDir());
            dir.setTotalBytes(store.getTotalSpace()).setUsableBytes(store.getUsableSpace());
        } catch (IOException e) {
            dir.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code());
        }
        DescribeLogDirsResponseData response = new DescribeLogDirsResponseData().setErrorCode(Errors.NONE.code());
        response.results().add(dir);
        return response;
    }

    private void addPartition(DescribeLogDirsTopic out, String topic, int partition) {
        Optional<Log> log = logs.log(topic, partition);
        log.ifPresent(l -> out.partitions().add(new DescribeLogDirsPartition().setPartitionIndex(partition)
                .setPartitionSize(l.sizeInBytes()).setOffsetLag(0).setIsFutureKey(false)));
    }
}
