/*
 * demo_words.c -- the vocabulary of the demo catalog (plain data).
 */
#include "demo_words.h"

/* genre indexes */
#define G_DRAMA 0
#define G_COMEDY 1
#define G_THRILLER 2
#define G_CRIME 3
#define G_SCIFI 4
#define G_FANTASY 5
#define G_HORROR 6
#define G_ROMANCE 7
#define G_DOC 8
#define G_ANIMATION 9
#define G_ACTION 10
#define G_ADVENTURE 11
#define G_MYSTERY 12
#define G_FAMILY 13
#define G_REALITY 14
#define G_ANIME 15
#define G_MUSICAL 16
#define G_WESTERN 17
#define G_WAR 18
#define G_HISTORY 19
#define G_SPORTS 20

/* language indexes (demo_lang_codes in demo_sim.c) */
#define L_EN 0
#define L_SV 1
#define L_JA 2
#define L_KO 3
#define L_ES 4
#define L_HI 5
#define L_FR 6
#define L_DE 7
#define L_PT 8
#define L_IT 9

const char *const dw_genres[DW_N_GENRES] = {
	"Drama", "Comedy", "Thriller", "Crime", "Sci-Fi", "Fantasy", "Horror",
	"Romance", "Documentary", "Animation", "Action", "Adventure", "Mystery",
	"Family", "Reality", "Anime", "Musical", "Western", "War", "History",
	"Sports"
};

const char *const dw_genre_words[DW_N_GENRES] = {
	"drama", "comedy", "thriller", "crime", "science fiction", "fantasy",
	"horror", "romance", "documentary", "animated", "action", "adventure",
	"mystery", "family", "reality", "anime", "musical", "western", "war",
	"historical", "sports"
};

const DemoArchetype dw_archetypes[DW_N_ARCHETYPES] = {
	{"crime drama", G_CRIME, G_DRAMA, L_EN, 4, 0.5, 55, 115, 1.0,
		{"corruption", "betrayal", "loyalty", "organized crime", "a botched heist", "police informants"},
		{"the docks of Baltimore", "a rain-soaked precinct", "the Chicago underworld", "a smoky jazz bar"},
		{"a weary homicide detective", "a mob accountant", "an undercover cop"},
		{"Precinct", "Syndicate", "Badge", "Alibi"}},
	{"nordic noir", G_CRIME, G_MYSTERY, L_SV, 4, 0.7, 50, 110, 0.8,
		{"a cold case", "missing girls", "buried family secrets", "a ritual murder", "guilt", "isolation"},
		{"a frozen fjord village", "the Stockholm archipelago", "a snowbound lighthouse", "an Arctic mining town"},
		{"a brooding female inspector", "a disgraced forensic pathologist", "a small-town constable"},
		{"Fjord", "Frost", "Lighthouse", "Thaw"}},
	{"romantic comedy", G_ROMANCE, G_COMEDY, L_EN, 2, 0.2, 30, 100, 0.7,
		{"a fake engagement", "second chances", "a wedding mix-up", "opposites attracting", "a holiday fling", "meddling best friends"},
		{"a Manhattan bakery", "a Tuscan vineyard", "a snowy Vermont inn", "a bustling London bookshop"},
		{"a cynical wedding planner", "a charming florist", "a workaholic lawyer"},
		{"Love", "Wedding", "Sweetheart", "Kiss"}},
	{"space opera", G_SCIFI, G_ADVENTURE, L_EN, 3, 0.45, 50, 130, 1.8,
		{"interstellar war", "a rogue artificial intelligence", "first contact", "a mutiny", "hyperspace smuggling", "a dying sun"},
		{"a derelict starship", "the outer colonies", "a mining asteroid", "an orbital space station"},
		{"a starship captain", "a cyborg mercenary", "an alien ambassador"},
		{"Nebula", "Starfall", "Orbit", "Galaxy"}},
	{"epic fantasy", G_FANTASY, G_ADVENTURE, L_EN, 3, 0.5, 58, 140, 2.0,
		{"a prophecy", "dragons", "a stolen crown", "dark sorcery", "a quest for a legendary sword", "warring kingdoms"},
		{"an enchanted forest", "a mountain citadel", "the northern wastelands", "a wizard tower"},
		{"an orphaned squire", "an exiled elven queen", "a reluctant sorceress"},
		{"Throne", "Dragon", "Crown", "Realm"}},
	{"supernatural horror", G_HORROR, G_MYSTERY, L_EN, 4, 0.3, 45, 95, 0.5,
		{"a haunting", "demonic possession", "an ancient curse", "a vengeful ghost", "an exorcism", "paranormal investigations"},
		{"an abandoned asylum", "a creaking Victorian mansion", "a remote cabin in the woods", "a cursed cemetery"},
		{"a skeptical priest", "a grieving mother", "a teenage medium"},
		{"Curse", "Haunting", "Possession", "Wraith"}},
	{"true crime", G_DOC, G_CRIME, L_EN, 3, 0.7, 48, 95, 0.25,
		{"a wrongful conviction", "a serial killer", "forensic evidence", "courtroom testimony", "an unsolved disappearance", "a cult leader"},
		{"death row", "a small Texas county", "the FBI archives", "a courthouse in Ohio"},
		{"an investigative journalist", "a defense attorney", "the victims' families"},
		{"Verdict", "Evidence", "Confession", "Case"}},
	{"nature documentary", G_DOC, G_FAMILY, L_EN, 0, 0.6, 50, 85, 0.4,
		{"animal migration", "predators and prey", "climate change", "coral reefs", "endangered species", "the changing seasons"},
		{"the African savanna", "the Amazon rainforest", "the deep ocean", "the frozen Antarctic"},
		{"a family of elephants", "a pride of lions", "wildlife camera crews"},
		{"Planet", "Wild", "Ocean", "Earth"}},
	{"kids animation", G_ANIMATION, G_FAMILY, L_EN, 0, 0.6, 22, 90, 0.8,
		{"friendship", "a magical adventure", "talking animals", "learning to be brave", "a lost puppy", "toys that come alive"},
		{"a candy kingdom", "a sunny farm", "an underwater city", "a treehouse village"},
		{"a curious little bunny", "a clumsy dragon", "a robot who wants friends"},
		{"Bunny", "Buddies", "Rainbow", "Puppy"}},
	{"anime action", G_ANIME, G_ACTION, L_JA, 3, 0.8, 24, 110, 0.6,
		{"martial arts tournaments", "giant mecha", "demon hunters", "a hidden power awakening", "rival academies", "samurai honor"},
		{"neo-Tokyo", "a ninja village", "a shinto shrine", "a cyberpunk megacity"},
		{"a hot-headed teenage swordsman", "a quiet transfer student", "a legendary ronin"},
		{"Blade", "Ronin", "Mecha", "Spirit"}},
	{"k-drama", G_ROMANCE, G_DRAMA, L_KO, 2, 0.85, 62, 120, 0.9,
		{"a contract marriage", "chaebol family rivalry", "amnesia", "a first love reunion", "a secret identity", "fate"},
		{"Seoul", "the Gangnam district", "a Jeju island resort", "a chaebol mansion"},
		{"a cold-hearted CEO", "a struggling webtoon artist", "a palace crown prince"},
		{"Destiny", "Heirs", "Palace", "Goblin"}},
	{"telenovela", G_DRAMA, G_ROMANCE, L_ES, 3, 0.8, 45, 105, 0.5,
		{"forbidden love", "a family inheritance", "revenge", "babies switched at birth", "a hacienda feud", "jealousy"},
		{"a hacienda in Jalisco", "Mexico City", "a seaside town in Veracruz", "a Buenos Aires tango hall"},
		{"a humble seamstress", "a wealthy landowner's son", "a scheming stepmother"},
		{"Pasión", "Corazón", "Destino", "Hacienda"}},
	{"bollywood", G_MUSICAL, G_ROMANCE, L_HI, 2, 0.2, 45, 160, 0.7,
		{"an arranged marriage", "dance numbers", "family honor", "a grand wedding", "star-crossed lovers", "cricket dreams"},
		{"Mumbai", "the palaces of Rajasthan", "the streets of Delhi", "a Punjabi village"},
		{"a rebellious heiress", "a taxi driver with big dreams", "a devoted brother"},
		{"Dil", "Monsoon", "Dhoom", "Baraat"}},
	{"action blockbuster", G_ACTION, G_THRILLER, L_EN, 3, 0.15, 50, 125, 2.5,
		{"explosions", "a hostage rescue", "car chases", "a terrorist plot", "a ticking bomb", "a special forces mission"},
		{"a skyscraper", "the streets of Los Angeles", "a hijacked cargo plane", "a military base"},
		{"an ex-Navy SEAL", "a rogue bodyguard", "a bomb disposal expert"},
		{"Impact", "Strike", "Velocity", "Zero Hour"}},
	{"war history", G_WAR, G_HISTORY, L_EN, 4, 0.4, 55, 140, 1.6,
		{"the battle of Normandy", "a resistance cell", "courage under fire", "prisoners of war", "brotherhood", "sacrifice"},
		{"the trenches of the Somme", "occupied France", "a Pacific island", "the Eastern Front"},
		{"a young infantry platoon", "a bomber pilot", "a field nurse"},
		{"Battalion", "Front", "Trenches", "Valor"}},
	{"period drama", G_DRAMA, G_HISTORY, L_EN, 2, 0.6, 55, 125, 1.2,
		{"a scandalous courtship", "aristocratic etiquette", "an entailed estate", "a debutante season", "servants and masters", "royal intrigue"},
		{"a Regency ballroom", "an English country estate", "Victorian London", "the court of Versailles"},
		{"a headstrong duchess", "an impoverished earl", "a loyal lady's maid"},
		{"Manor", "Duchess", "Abbey", "Crown Court"}},
	{"reality competition", G_REALITY, G_COMEDY, L_EN, 1, 0.95, 45, 90, 0.25,
		{"elimination rounds", "a cash prize", "alliances", "baking challenges", "a dating experiment", "makeovers"},
		{"a tropical villa", "a competition kitchen", "a desert island camp", "a glamorous mansion"},
		{"twelve contestants", "celebrity judges", "single strangers"},
		{"Island", "Showdown", "Villa", "Challenge"}},
	{"sitcom", G_COMEDY, G_FAMILY, L_EN, 1, 0.9, 24, 95, 0.6,
		{"awkward roommates", "office pranks", "dysfunctional families", "dating disasters", "nosy neighbors", "a road trip gone wrong"},
		{"a suburban cul-de-sac", "a paper company office", "a tiny Brooklyn apartment", "a neighborhood diner"},
		{"a hapless substitute teacher", "three flatmates", "an overbearing dad"},
		{"Roommates", "Neighbors", "Office", "Family Matters"}},
	{"western", G_WESTERN, G_ACTION, L_EN, 3, 0.3, 50, 120, 1.0,
		{"outlaws", "a bounty", "cattle rustlers", "a frontier showdown", "gold fever", "a railroad land grab"},
		{"a dusty frontier town", "Monument Valley", "a wild west saloon", "the Montana plains"},
		{"a lone gunslinger", "a vengeful sheriff", "a bounty hunter"},
		{"Outlaw", "Sundown", "Frontier", "Gunsmoke"}},
	{"french cinema", G_DRAMA, G_ROMANCE, L_FR, 3, 0.2, 52, 105, 0.6,
		{"an affair", "existential longing", "memory", "a summer in the countryside", "art and obsession", "melancholy"},
		{"Paris", "a Provence farmhouse", "a Marseille harbor", "a Left Bank café"},
		{"a painter", "a widowed professor", "a restless young actress"},
		{"Amour", "Été", "Rive Gauche", "Souvenir"}},
	{"german thriller", G_THRILLER, G_CRIME, L_DE, 4, 0.6, 55, 115, 0.9,
		{"espionage", "surveillance", "a Stasi informant", "an industrial conspiracy", "hackers", "a cold war defection"},
		{"East Berlin", "a Munich boardroom", "a Bavarian forest", "the Berlin Wall"},
		{"a burned-out federal agent", "a whistleblower engineer", "a Stasi officer"},
		{"Grenze", "Akte", "Schatten", "Mauer"}},
	{"brazilian comedy", G_COMEDY, G_DRAMA, L_PT, 2, 0.5, 40, 100, 0.5,
		{"carnival", "a favela soccer team", "family chaos", "samba", "a lottery win", "neighborhood gossip"},
		{"Rio de Janeiro", "a Copacabana beach kiosk", "a São Paulo tenement", "a Bahia fishing village"},
		{"a fast-talking street vendor", "a grandmother who runs everything", "a samba school director"},
		{"Carnaval", "Favela", "Samba", "Saudade"}},
	{"italian family", G_DRAMA, G_FAMILY, L_IT, 2, 0.5, 50, 110, 0.6,
		{"a family restaurant", "a mafia debt", "three generations", "a village festival", "homecoming", "old grudges"},
		{"Naples", "a Sicilian olive grove", "the Amalfi coast", "a Roman trattoria"},
		{"a stubborn nonna", "a prodigal son", "a young chef"},
		{"Famiglia", "Domenica", "Limoncello", "Nonna"}},
	{"spy thriller", G_THRILLER, G_ACTION, L_EN, 3, 0.45, 50, 120, 1.7,
		{"a double agent", "stolen nuclear codes", "a mole inside MI6", "an assassination", "an unbreakable cipher", "defection"},
		{"Istanbul", "a Moscow safehouse", "Vienna", "a Swiss bank vault"},
		{"a retired MI6 operative", "a KGB sleeper", "an analyst turned field agent"},
		{"Cipher", "Safehouse", "Protocol", "Dossier"}},
	{"teen drama", G_DRAMA, G_ROMANCE, L_EN, 2, 0.8, 45, 100, 0.7,
		{"high school secrets", "prom night", "first heartbreak", "popularity", "a scandalous rumor", "coming of age"},
		{"a wealthy prep school", "a California beach town", "a small-town high school", "a summer camp"},
		{"a new girl in town", "a star quarterback", "a socially awkward genius"},
		{"Senior Year", "Prom", "Rumors", "Summer Camp"}},
	{"whodunit", G_MYSTERY, G_CRIME, L_EN, 2, 0.5, 50, 115, 1.0,
		{"a locked-room murder", "a contested will", "a poisoned guest", "red herrings", "an amateur sleuth's hunch", "a dinner party"},
		{"a country manor", "an Orient Express sleeper car", "a Cotswolds village", "a snowed-in hotel"},
		{"an eccentric Belgian detective", "a nosy retired schoolteacher", "a bumbling village vicar"},
		{"Murder", "Clue", "Suspects", "Knives"}},
	{"sports documentary", G_DOC, G_SPORTS, L_EN, 1, 0.7, 45, 100, 0.3,
		{"a championship season", "an underdog team", "doping", "a comeback after injury", "rivalry", "training camp"},
		{"the locker room", "the NBA finals", "an Olympic stadium", "a boxing gym"},
		{"a legendary coach", "a rookie point guard", "a marathon runner"},
		{"Champions", "Last Dance", "Game Day", "Underdogs"}},
	{"cooking", G_REALITY, G_DOC, L_EN, 0, 0.9, 30, 90, 0.2,
		{"street food", "family recipes", "a restaurant rescue", "fermentation", "barbecue", "pastry"},
		{"a Bangkok night market", "a Texas smokehouse", "a Lyon bistro", "an Oaxaca market"},
		{"a celebrity chef", "a home cook", "a food critic"},
		{"Kitchen", "Feast", "Flavor", "Chef's Table"}},
};

const char *const dw_variant_themes[DW_N_VARIANT_THEMES] = {
	"time travel", "twins", "a pandemic", "robots", "vampires", "a shipwreck",
	"a kidnapping", "a cover-up", "a school reunion", "a pilgrimage", "a rebellion",
	"amnesia", "a blackout", "a lottery ticket", "a hurricane", "an election",
	"a chess prodigy", "a circus", "a jewel thief", "a séance", "a lighthouse keeper",
	"a submarine", "a border crossing", "a bank run", "a wildfire", "a masquerade",
	"a sleepwalker", "a witness protection program", "a smuggled painting", "a vineyard",
	"a rock band", "a ballet company", "an heiress", "a lost manuscript", "an earthquake",
	"a prison break", "a ghost town", "a carnival ride", "a desert convoy", "a mountain rescue",
	"a hacker collective", "a royal wedding", "a family curse", "a runaway train",
	"a secret society", "a spelling bee", "a radio station", "an antique clock"
};

const char *const dw_adjectives[DW_N_ADJ] = {
	"gripping", "heartfelt", "stunning", "bold", "intimate", "sweeping",
	"tense", "moving", "stylish", "acclaimed", "riveting", "haunting",
	"charming", "raw", "ambitious", "witty", "explosive", "tender",
	"breathtaking", "quirky"
};

const char *const dw_filler[DW_N_FILLER] = {
	"Based on a true story.", "From the award-winning creators.",
	"Critics call it unforgettable.", "A story about what we owe each other.",
	"Featuring a breakout performance.", "Nothing will ever be the same.",
	"Winner of three festival prizes.", "Told over one extraordinary year.",
	"Some secrets refuse to stay buried.", "Laugh, cry and hold your breath.",
	"Inspired by the bestselling novel.", "Shot entirely on location.",
	"Every choice has a price.", "A new chapter begins.",
	"The whole family will love it.", "You will not see the ending coming."
};

const char *const dw_title_adj[DW_N_TITLE_ADJ] = {
	"Silent", "Broken", "Last", "Hidden", "Golden", "Crimson", "Lost", "Wild",
	"Secret", "Midnight", "Burning", "Frozen", "Little", "Dark", "Bright",
	"Final", "Endless", "Savage", "Quiet", "Electric", "Velvet", "Iron",
	"Paper", "Glass", "Stolen", "Sweet", "Bitter", "Falling", "Rising",
	"Distant", "Hollow", "Perfect", "Lucky", "Restless", "Scarlet", "Silver",
	"Northern", "Southern", "Eternal", "Untold"
};

const char *const dw_title_noun[DW_N_TITLE_NOUN] = {
	"Harbor", "Empire", "Garden", "Signal", "River", "Kingdom", "Promise",
	"Shadow", "Horizon", "Storm", "Mirror", "Road", "Island", "Summer",
	"Winter", "Heart", "Game", "Witness", "Tide", "Legacy", "Flame",
	"Hour", "Letter", "Voice", "Night", "City", "House", "Secret",
	"Crossing", "Echo", "Pact", "Line", "Truth", "Circle", "Season",
	"Dream", "Trail", "Storm Front", "Wolves", "Sisters", "Brothers",
	"Strangers", "Kings", "Ghosts", "Rebels", "Saints", "Thieves", "Hearts"
};

const char *const dw_movie_ratings[5] = {"G", "PG", "PG-13", "PG-13", "R"};
const char *const dw_series_ratings[5] = {"TV-Y", "TV-G", "TV-PG", "TV-14", "TV-MA"};
