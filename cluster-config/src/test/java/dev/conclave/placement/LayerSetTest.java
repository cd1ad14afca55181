package dev.conclave.placement;

import dev.conclave.core.config.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerSetTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "0-3,mtp | 0-3,mtp",
            "mtp , 2 | 2,mtp",
            "mtp | mtp",
            "all | all",
            "' all ' | all",
            "'' | ''"})
    void parsesAndWritesTheTextForm(String text, String canonical) {
        LayerSet set = LayerSet.parse(text);
        assertEquals(canonical, set.toString());
        assertEquals(set, LayerSet.parse(set.toString()));
    }

    @Test
    void allStandsAlone() {
        var e = assertThrows(IllegalArgumentException.class, () -> LayerSet.parse("all,mtp"));
        assertTrue(e.getMessage().contains("'all' stands alone"), e.getMessage());
    }

    @Test
    void resolvesMtpAndAllAgainstTheModel() {
        ModelConfig glm = Models.glm45();
        assertEquals(IntSet.parse("0-3,92"), LayerSet.parse("0-3,mtp").resolve(glm));
        assertEquals(IntSet.range(0, 93), LayerSet.parse("all").resolve(glm));
        assertEquals(IntSet.range(0, 4), LayerSet.parse("all").resolve(Models.small()), "no MTP layer to include");
        assertEquals(IntSet.parse("4"), LayerSet.parse("mtp").resolve(Models.small()),
                "mtp names index num_hidden_layers even where the model lacks it, for the validator to report");
    }

    @Test
    void allLayersOfAnExpertAssignmentAreTheMoeLayers() {
        ExpertAssignment a = new ExpertAssignment(LayerSet.everyLayer(), ExpertSet.everyExpert());
        assertEquals(IntSet.range(3, 93), a.resolveLayers(Models.glm45()));
        assertEquals(IntSet.range(2, 4), a.resolveLayers(Models.small()));
        assertEquals(IntSet.range(0, 160), a.resolveExperts(Models.glm45()));
    }
}
