package synth

// Name lists for the generator. Many, not all, are on the gate's built-in
// lists, so the gate's name rule is exercised without being the only guard.
var (
	femaleNames = []string{
		"Olivia", "Amelia", "Isla", "Emily", "Sophie", "Jessica", "Charlotte",
		"Ruby", "Chloe", "Sarah", "Emma", "Hannah", "Margaret", "Susan",
		"Elizabeth", "Mary", "Helen", "Karen", "Claire", "Rachel", "Laura",
		"Priya", "Aisha", "Fatima", "Niamh", "Agnieszka", "Chidinma", "Mei",
	}
	maleNames = []string{
		"Oliver", "George", "Harry", "Jack", "Noah", "Thomas", "William",
		"James", "Henry", "Joshua", "Daniel", "Arthur", "Mohammed", "David",
		"John", "Michael", "Paul", "Peter", "Richard", "Robert", "Andrew",
		"Kevin", "Ian", "Simon", "Tomasz", "Oluwaseun", "Rajesh", "Wei",
	}
	familyNames = []string{
		"Smith", "Jones", "Williams", "Taylor", "Davies", "Evans", "Johnson",
		"Roberts", "Wright", "Robinson", "Thompson", "Hughes", "Harris",
		"Lewis", "Clarke", "Scott", "Cooper", "Patel", "Khan", "Singh",
		"Begum", "Kaur", "Hussain", "Ahmed", "Kelly", "Kowalski", "Nowak",
		"Okafor", "Nguyen", "Chowdhury", "Fraser", "Oyelaran", "Wiśniewski",
	}
)

// ethnicities are the NHS ethnic categories (data dictionary codes A–S and
// Z) with approximate shares of a northern English hospital population.
var ethnicities = []struct {
	label  string
	weight float64
}{
	{"White - British", 0.72},
	{"White - Irish", 0.01},
	{"White - Any other White background", 0.05},
	{"Mixed - White and Black Caribbean", 0.01},
	{"Mixed - White and Black African", 0.005},
	{"Mixed - White and Asian", 0.005},
	{"Mixed - Any other mixed background", 0.005},
	{"Asian or Asian British - Indian", 0.03},
	{"Asian or Asian British - Pakistani", 0.04},
	{"Asian or Asian British - Bangladeshi", 0.01},
	{"Asian or Asian British - Any other Asian background", 0.01},
	{"Black or Black British - Caribbean", 0.01},
	{"Black or Black British - African", 0.02},
	{"Black or Black British - Any other Black background", 0.005},
	{"Other Ethnic Groups - Chinese", 0.01},
	{"Other Ethnic Groups - Any other ethnic group", 0.01},
	{"Not stated", 0.02},
}
