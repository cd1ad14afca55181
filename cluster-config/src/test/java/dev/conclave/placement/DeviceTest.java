package dev.conclave.placement;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "cpu | CPU | '' | cpu",
            "cpu:0-1 | CPU | 0-1 | cpu:0-1",
            "CPU:0,2 | CPU | 0,2 | cpu:0,2",
            "cuda:0 | CUDA | 0 | cuda:0",
            "' cuda:3 ' | CUDA | 3 | cuda:3"})
    void parses(String text, Device.Kind kind, String indices, String canonical) {
        Device d = Device.parse(text);
        assertEquals(kind, d.kind());
        assertEquals(IntSet.parse(indices), d.indices());
        assertEquals(canonical, d.toString());
        assertEquals(d, Device.parse(d.toString()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "gpu:0 | 'gpu:0' is not a device; expected cpu, cpu:<cores> such as cpu:0-3, or cuda:<index>",
            "cuda | 'cuda' does not name one GPU",
            "cuda:0-1 | 'cuda:0-1' does not name one GPU",
            "cuda: | no index after ':'",
            "cpu:1-0 | 'cpu:1-0': range '1-0' ends before it starts",
            "cpu: | 'cpu:': no index after ':'"})
    void refusesWithTheAcceptedForms(String text, String message) {
        var e = assertThrows(IllegalArgumentException.class, () -> Device.parse(text));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
